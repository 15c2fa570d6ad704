use serde_json::json;

use super::*;
use crate::campaigns::{self, CampaignId, CampaignRequest, NewCampaign};
use crate::channels::{ChannelRandom, NewChannel};
use crate::clock::FixedClock;
use crate::social::testing::{ScriptedHttp, json as json_answer, raw};
use crate::social::{HttpRequest, block_on};
use crate::store::MemoryStore;

const NOW: i64 = 1_806_000_000; // 2027-03-27
const TOKEN: &str = "mastodon-token-1234";

fn clock() -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(NOW).unwrap())
}

fn key() -> CredentialKey {
    CredentialKey::from_bytes([7; 32])
}

fn campaign(store: &MemoryStore, n: u8, tags: &[&str]) {
    let request: CampaignRequest = serde_json::from_value(json!({
        "name": format!("Campagne {n}"),
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-31",
        "hashtags": tags,
    }))
    .unwrap();
    campaigns::create(
        store,
        &clock(),
        CampaignId::generate([n; 10]),
        NewCampaign::parse(request).unwrap(),
    )
    .unwrap();
}

fn channel(store: &MemoryStore, kind: &str, n: u8) -> ChannelId {
    let mut request =
        json!({"kind": kind, "name": "Bib", "url": format!("https://{kind}{n}.example")});
    if kind == "mastodon" {
        request["access_token"] = TOKEN.into();
    } else {
        request["app_password"] = "app-pass-word".into();
        request["handle"] = "bib.bsky.social".into();
    }
    let new = NewChannel::parse(serde_json::from_value(request).unwrap()).unwrap();
    let random = ChannelRandom {
        id: [n; 10],
        nonce: [n; 12],
        secret: [n; 24],
    };
    channels::create(store, &key(), clock().now(), random, new)
        .unwrap()
        .0
        .id
}

fn status(id: u64, tag: &str) -> Value {
    json!({
        "id": id.to_string(),
        "uri": format!("https://far.example/users/ana/statuses/{id}"),
        "url": format!("https://far.example/@ana/{id}"),
        "created_at": "2027-03-27T08:00:00.000Z",
        "visibility": "public",
        "reblog": null,
        "content": format!("<p>Lu ce soir #{tag}</p>"),
        "account": {"acct": "ana@far.example", "username": "ana", "display_name": "Ana",
                     "url": "https://far.example/@ana"},
        "media_attachments": [],
        "tags": [{"name": tag.to_lowercase()}],
    })
}

fn timeline(statuses: &[Value], newest: Option<u64>) -> crate::social::testing::ScriptedAnswer {
    let body = serde_json::to_vec(statuses).unwrap();
    let link = newest.map(|id| {
        format!(
            "<https://m.example/api/v1/timelines/tag/x?max_id={id}>; rel=\"next\", \
             <https://m.example/api/v1/timelines/tag/x?min_id={id}>; rel=\"prev\""
        )
    });
    let mut headers = vec![("content-type", "application/json")];
    if let Some(link) = &link {
        headers.push(("link", link.as_str()));
    }
    raw(200, &headers, &body)
}

fn follow_once(store: &MemoryStore, http: &ScriptedHttp, budget: FollowBudget) -> FollowReport {
    block_on(follow(store, &clock(), &key(), http, budget)).unwrap()
}

fn urls(requests: &[HttpRequest]) -> Vec<String> {
    requests.iter().map(|r| r.url.clone()).collect()
}

#[test]
fn mastodon_tag_timelines_are_followed_from_a_remembered_min_id() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["NuitDeLaLecture"]);
    let mastodon = channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "/api/v1/timelines/tag/NuitDeLaLecture",
        timeline(
            &[status(12, "NuitDeLaLecture"), status(11, "NuitDeLaLecture")],
            Some(12),
        ),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!(
        (
            report.hashtags,
            report.pairs,
            report.requests,
            report.posts,
            report.filed
        ),
        (1, 1, 1, 2, 2)
    );
    let request = &http.requests()[0];
    assert!(
        request
            .url
            .starts_with("https://mastodon1.example/api/v1/timelines/tag/NuitDeLaLecture?limit=")
    );
    assert!(
        !request.url.contains("min_id"),
        "the first look takes the latest page"
    );
    assert!(
        request
            .headers
            .contains(&("authorization".into(), format!("Bearer {TOKEN}")))
    );

    // Next tick: from min_id=12; the server answers a status already filed and a new one.
    http.clear("GET", "/api/v1/timelines/tag/NuitDeLaLecture");
    http.on(
        "GET",
        "/api/v1/timelines/tag/NuitDeLaLecture",
        timeline(
            &[status(13, "NuitDeLaLecture"), status(12, "NuitDeLaLecture")],
            Some(13),
        ),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert!(
        http.requests()[1].url.ends_with("&min_id=12"),
        "{:?}",
        urls(&http.requests())
    );
    assert_eq!(
        (report.posts, report.filed),
        (2, 1),
        "a post is never filed twice"
    );
    let cursor: FollowCursor = (&store as &dyn KvStore)
        .get_json(&cursor_key(
            &mastodon,
            &Hashtag::parse("nuitdelalecture").unwrap(),
        ))
        .unwrap()
        .unwrap();
    assert_eq!(cursor.min_id.as_deref(), Some("13"));
}

#[test]
fn a_failed_request_keeps_the_cursor_and_is_counted() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire"]);
    channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "/timelines/tag/Lire",
        timeline(&[status(5, "Lire")], Some(5)),
    );
    follow_once(&store, &http, FollowBudget::default());
    http.clear("GET", "/timelines/tag/Lire");
    http.on(
        "GET",
        "/timelines/tag/Lire",
        json_answer(503, json!({"error": "down"})),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.failures, report.filed), (1, 0));
    http.clear("GET", "/timelines/tag/Lire");
    http.on("GET", "/timelines/tag/Lire", timeline(&[], None));
    follow_once(&store, &http, FollowBudget::default());
    assert!(http.requests()[2].url.ends_with("&min_id=5"));
}

fn bluesky_post(rkey: &str, indexed_at: &str, tag: &str) -> Value {
    json!({
        "uri": format!("at://did:plc:lecteur/app.bsky.feed.post/{rkey}"),
        "cid": "bafy",
        "author": {"did": "did:plc:lecteur", "handle": "lecteur.bsky.social", "displayName": "Lecteur"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": format!("Ce soir à la bib #{tag} 📚"),
            "createdAt": "2027-03-27T07:59:00.000Z",
            "facets": [{"index": {"byteStart": 19, "byteEnd": 20},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]}],
        },
        "embed": {"$type": "app.bsky.embed.images#view",
                  "images": [{"alt": "La salle de lecture", "thumb": "https://cdn.example/t"}]},
        "indexedAt": indexed_at,
    })
}

#[test]
fn bluesky_search_uses_the_channel_session_and_moves_since() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["NuitDeLaLecture"]);
    channel(&store, "bluesky", 2);
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "com.atproto.server.createSession",
        json_answer(
            200,
            json!({"did": "did:plc:bib", "handle": "bib.bsky.social",
            "accessJwt": "access-1", "refreshJwt": "refresh-1"}),
        ),
    );
    http.on(
        "GET",
        "app.bsky.feed.searchPosts",
        json_answer(
            200,
            json!({"posts": [
                bluesky_post("3kb", "2027-03-27T08:00:02.000Z", "NuitDeLaLecture"),
                bluesky_post("3ka", "2027-03-27T08:00:01.000Z", "NuitDeLaLecture"),
            ]}),
        ),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.requests, report.posts, report.filed), (1, 2, 2));
    let search = &http.requests_to("searchPosts")[0];
    assert!(search.url.starts_with(
        "https://bluesky2.example/xrpc/app.bsky.feed.searchPosts?q=%23NuitDeLaLecture&tag=NuitDeLaLecture&sort=latest&limit="
    ), "{}", search.url);
    assert!(
        search
            .headers
            .contains(&("authorization".into(), "Bearer access-1".into()))
    );

    // Next tick: the cached session (no new login), `since` the newest indexedAt, and the
    // post at exactly `since` (inclusive) is skipped.
    http.clear("GET", "app.bsky.feed.searchPosts");
    http.on(
        "GET",
        "app.bsky.feed.searchPosts",
        json_answer(
            200,
            json!({"posts": [
                bluesky_post("3kc", "2027-03-27T08:05:00.000Z", "NuitDeLaLecture"),
                bluesky_post("3kb", "2027-03-27T08:00:02.000Z", "NuitDeLaLecture"),
            ]}),
        ),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.posts, report.filed), (2, 1));
    assert_eq!(http.requests_to("createSession").len(), 1);
    assert!(
        http.requests_to("searchPosts")[1]
            .url
            .ends_with("&since=2027-03-27T08%3A00%3A02.000Z")
    );

    let mention = bluesky_mention(
        &bluesky_post("3kd", "2027-03-27T08:00:00Z", "NuitDeLaLecture"),
        clock().now(),
    )
    .unwrap();
    assert_eq!(mention.author_handle, "@lecteur.bsky.social");
    assert_eq!(
        mention.url.unwrap().as_str(),
        "https://bsky.app/profile/lecteur.bsky.social/post/3kd"
    );
    assert_eq!(mention.media_alt, ["La salle de lecture"]);
}

#[test]
fn a_full_bluesky_page_is_paged_towards_since_before_since_moves() {
    let page = |posts: Vec<Value>, cursor: Option<&str>| {
        let mut body = json!({"posts": posts});
        if let Some(cursor) = cursor {
            body["cursor"] = cursor.into();
        }
        HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: serde_json::to_vec(&body).unwrap(),
        }
    };
    let start = FollowCursor {
        since: Some("2027-03-27T08:00:00.000Z".into()),
        ..FollowCursor::default()
    };
    let full = page(
        vec![
            bluesky_post("b", "2027-03-27T09:00:00.000Z", "Lire"),
            bluesky_post("a", "2027-03-27T08:30:00.000Z", "Lire"),
        ],
        Some("c2"),
    );
    let next = bluesky_page(&full, &start, clock().now(), 2).unwrap();
    assert!(next.full);
    assert_eq!(
        next.cursor.since, start.since,
        "since waits for the catch-up"
    );
    assert_eq!(next.cursor.page.as_deref(), Some("c2"));
    let rest = page(
        vec![bluesky_post("0", "2027-03-27T08:10:00.000Z", "Lire")],
        None,
    );
    let done = bluesky_page(&rest, &next.cursor, clock().now(), 2).unwrap();
    assert_eq!(
        done.cursor.since.as_deref(),
        Some("2027-03-27T09:00:00.000Z")
    );
    assert_eq!(done.cursor.page, None);
}

#[test]
fn the_budget_bounds_each_tick_and_rotation_reaches_every_pair() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire", "Écrire"]);
    for n in 1..=3 {
        channel(&store, "mastodon", n);
    }
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/timelines/tag/", timeline(&[], None));
    let budget = FollowBudget {
        requests: 2,
        mentions: 10,
        ..FollowBudget::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for tick in 0..3 {
        let report = follow_once(&store, &http, budget);
        assert_eq!((report.pairs, report.requests), (6, 2));
        assert!(report.more);
        for request in &http.requests()[tick * 2..] {
            seen.insert(request.url.split("?").next().unwrap().to_owned());
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(seen.contains("https://mastodon2.example/api/v1/timelines/tag/%C3%89crire"));
}

/// Store calls of one tick whose Mastodon page brings 3 posts, 1 of them new.
fn follow_cost(history: u64) -> u64 {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire"]);
    channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    // The history: `history` mentions filed by earlier ticks, 40 per page.
    let mut id = 1000;
    while id < 1000 + history {
        let page: Vec<Value> = (id..(id + 40).min(1000 + history))
            .rev()
            .map(|i| status(i, "Lire"))
            .collect();
        http.clear("GET", "/timelines/tag/Lire");
        http.on("GET", "/timelines/tag/Lire", timeline(&page, None));
        follow_once(
            &store,
            &http,
            FollowBudget {
                requests: 1,
                mentions: 40,
                ..FollowBudget::default()
            },
        );
        id += 40;
    }
    let last = 1000 + history - 1;
    http.clear("GET", "/timelines/tag/Lire");
    http.on(
        "GET",
        "/timelines/tag/Lire",
        timeline(
            &[
                status(last + 1, "Lire"),
                status(last, "Lire"),
                status(last - 1, "Lire"),
            ],
            None,
        ),
    );
    store.reset_ops();
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.posts, report.filed), (3, 1));
    store.ops().total()
}

#[test]
fn a_following_tick_costs_the_same_with_10_or_1000_mentions_stored() {
    let few = follow_cost(10);
    let many = follow_cost(1000);
    assert_eq!(few, many);
    eprintln!("store calls of a following tick (3 posts, 1 new): {few}");

    // Nothing active: one read.
    let store = MemoryStore::new();
    channel(&store, "mastodon", 1);
    store.reset_ops();
    let report = follow_once(&store, &ScriptedHttp::new(), FollowBudget::default());
    assert_eq!(report, FollowReport::default());
    assert_eq!(store.ops().total(), 1);
}

/// Store calls of a first Bluesky tick (login, 2 posts found), after `history` mentions.
fn bluesky_follow_cost(history: u64) -> u64 {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire"]);
    channel(&store, "bluesky", 2);
    for i in 0..history {
        let mention = bluesky_mention(
            &bluesky_post(&format!("old{i}"), "2027-03-26T08:00:00.000Z", "Lire"),
            clock().now(),
        )
        .unwrap();
        campaigns::receive_mention(&store, &clock(), &mention).unwrap();
    }
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "com.atproto.server.createSession",
        json_answer(
            200,
            json!({"did": "did:plc:bib", "handle": "bib.bsky.social",
            "accessJwt": "access-1", "refreshJwt": "refresh-1"}),
        ),
    );
    http.on(
        "GET",
        "app.bsky.feed.searchPosts",
        json_answer(
            200,
            json!({"posts": [
                bluesky_post("new2", "2027-03-27T08:00:02.000Z", "Lire"),
                bluesky_post("new1", "2027-03-27T08:00:01.000Z", "Lire"),
            ]}),
        ),
    );
    store.reset_ops();
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.posts, report.filed), (2, 2));
    store.ops().total()
}

#[test]
fn a_bluesky_following_tick_costs_the_same_with_10_or_1000_mentions_stored() {
    let few = bluesky_follow_cost(10);
    assert_eq!(few, bluesky_follow_cost(1000));
    eprintln!("store calls of a first Bluesky following tick (login, 2 new posts): {few}");
}

#[test]
fn a_failing_server_is_asked_once_per_tick() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire", "Écrire", "Conter"]);
    channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "/api/v1/timelines/tag/",
        Err(crate::social::HttpFailure::Timeout),
    );
    let report = follow_once(&store, &http, FollowBudget::default());
    assert_eq!((report.pairs, report.requests, report.failures), (3, 1, 1));
    assert!(report.more);
    assert_eq!(http.requests().len(), 1);
}

/// A clock that moves 7 seconds each time it is read, like a tick slowed by its platforms.
struct SlowClock(std::sync::atomic::AtomicI64);

impl Clock for SlowClock {
    fn now(&self) -> Timestamp {
        let secs = self.0.fetch_add(7, std::sync::atomic::Ordering::SeqCst);
        Timestamp::from_unix_seconds(secs).unwrap()
    }
}

#[test]
fn no_request_starts_after_the_time_budget() {
    let store = MemoryStore::new();
    campaign(&store, 1, &["Lire", "Écrire", "Conter"]);
    for n in 1..=2 {
        channel(&store, "mastodon", n);
    }
    let http = ScriptedHttp::new();
    http.on("GET", "/api/v1/timelines/tag/", timeline(&[], None));
    let clock = SlowClock(std::sync::atomic::AtomicI64::new(NOW));
    let report = block_on(follow(
        &store,
        &clock,
        &key(),
        &http,
        FollowBudget::default(),
    ))
    .unwrap();
    assert_eq!(report.pairs, 6);
    assert!((1..6).contains(&report.requests), "{report:?}");
    assert!(report.more);
    assert_eq!(http.requests().len(), report.requests);
}
