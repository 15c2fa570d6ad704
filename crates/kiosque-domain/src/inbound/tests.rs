use serde_json::json;

use super::verify::{self, MetaHandshake, StandardHeaders};
use super::*;
use crate::campaigns::{self, CampaignId, CampaignRequest, NewCampaign};
use crate::channels::webhook;
use crate::clock::{FixedClock, Timestamp};
use crate::store::MemoryStore;

const NOW: i64 = 1_806_000_000; // 2027-03-27
const SECRET: &[u8] = b"mastodon-webhook-secret";

fn clock() -> FixedClock {
    FixedClock(Timestamp::from_unix_seconds(NOW).unwrap())
}

fn hub(secret: &[u8], body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(crate::hashing::hmac_sha256(secret, body))
    )
}

/// A store with one active campaign on #NuitDeLaLecture.
fn store_with_campaign() -> MemoryStore {
    let store = MemoryStore::new();
    add_campaign(&store);
    store
}

/// Creates the active campaign on #NuitDeLaLecture.
fn add_campaign(store: &dyn KvStore) {
    let request: CampaignRequest = serde_json::from_value(json!({
        "name": "Nuit de la lecture",
        "starts_on": "2027-03-01",
        "ends_on": "2027-03-31",
        "hashtags": ["NuitDeLaLecture"],
    }))
    .unwrap();
    campaigns::create(
        store,
        &clock(),
        CampaignId::generate([1; 10]),
        NewCampaign::parse(request).unwrap(),
    )
    .unwrap();
}

fn status(id: u64, visibility: &str, tag: &str) -> serde_json::Value {
    json!({
        "id": id.to_string(),
        "uri": format!("https://social.example/users/ana/statuses/{id}"),
        "url": format!("https://social.example/@ana/{id}"),
        "created_at": "2027-03-27T08:00:00.000Z",
        "visibility": visibility,
        "reblog": null,
        "spoiler_text": "",
        "content": format!("<p>Je lis ce soir <a href=\"https://social.example/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a> &lt;3</p>"),
        "account": {"acct": "ana@social.example", "username": "ana", "display_name": "Ana <b>",
                     "url": "https://social.example/@ana"},
        "media_attachments": [{"description": "Une pile de livres"}, {"description": null}],
        "tags": [{"name": tag.to_lowercase(), "url": "https://social.example/tags/x"}],
    })
}

fn mastodon_event(status: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"event": "status.created", "created_at": "2027-03-27T08:00:01Z", "object": status}),
    )
    .unwrap()
}

#[test]
fn hub_signatures_are_checked_on_the_raw_body() {
    let body = br#"{"a":1}"#;
    let good = hub(SECRET, body);
    assert!(verify::hub_signature(SECRET, Some(&good), body).is_ok());
    assert!(
        verify::hub_signature(
            SECRET,
            Some(&good.to_uppercase().replace("SHA256", "sha256")),
            body
        )
        .is_ok()
    );
    for bad in [
        None,
        Some(""),
        Some("sha256="),
        Some(good.trim_start_matches("sha256=")),
        Some(&*good.replace("sha256=", "sha1=")),
        Some(&*hub(b"other", body)),
    ] {
        assert!(matches!(
            verify::hub_signature(SECRET, bad, body),
            Err(InboundError::BadSignature)
        ));
    }
    // One byte more in the body (re-serialised JSON, a trailing newline) breaks it.
    assert!(verify::hub_signature(SECRET, Some(&good), b"{\"a\":1}\n").is_err());
}

#[test]
fn standard_webhooks_check_signature_then_timestamp() {
    let secret = verify::standard_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let body = br#"{"test": 2432232314}"#;
    let now = Timestamp::from_unix_seconds(1614265330).unwrap();
    let reference = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
    let headers = |signature| StandardHeaders {
        id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
        timestamp: Some("1614265330"),
        signature: Some(signature),
    };
    // The specification's own example verifies, alone or among rotated secrets' entries.
    assert_eq!(
        verify::standard(&secret, headers(reference), body, now).unwrap(),
        "msg_p5jXN8AQM9LWM0D4loKWxJek"
    );
    let rotated = format!("v1,Zm9vYmFy v2,abc {reference}");
    assert!(verify::standard(&secret, headers(&rotated), body, now).is_ok());
    for bad in [
        "",
        "v1,Zm9vYmFy",
        "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ] {
        assert!(matches!(
            verify::standard(&secret, headers(bad), body, now),
            Err(InboundError::BadSignature)
        ));
    }
    assert!(verify::standard(&secret, headers(reference), b"{}", now).is_err());
    let missing_id = StandardHeaders {
        id: None,
        ..headers(reference)
    };
    assert!(verify::standard(&secret, missing_id, body, now).is_err());
    // Within 5 minutes either way, not beyond.
    for (delta, ok) in [(300, true), (-300, true), (301, false), (-301, false)] {
        let at = Timestamp::from_unix_seconds(1614265330 + delta).unwrap();
        let result = verify::standard(&secret, headers(reference), body, at);
        assert_eq!(result.is_ok(), ok, "{delta}");
        if !ok {
            assert!(matches!(result, Err(InboundError::StaleTimestamp)));
        }
    }
    assert!(verify::standard_secret("whsec_!!!").is_none());
    assert!(verify::standard_secret("whsec_Zm9v").is_none(), "too short");
}

#[test]
fn meta_handshake_answers_the_challenge_only_to_the_right_token() {
    let request = |mode, token, challenge| MetaHandshake {
        mode: Some(mode),
        verify_token: Some(token),
        challenge: Some(challenge),
    };
    assert_eq!(
        verify::meta_handshake("tok", request("subscribe", "tok", "1158201444")).unwrap(),
        "1158201444"
    );
    assert!(matches!(
        verify::meta_handshake("tok", request("subscribe", "tok2", "1")),
        Err(InboundError::BadVerifyToken)
    ));
    assert!(verify::meta_handshake("tok", request("unsubscribe", "tok", "1")).is_err());
    assert!(verify::meta_handshake("tok", MetaHandshake::default()).is_err());
    assert!(matches!(
        verify::meta_handshake("tok", request("subscribe", "tok", "<script>")),
        Err(InboundError::Invalid(_))
    ));
}

#[test]
fn a_mastodon_status_with_a_campaign_hashtag_becomes_one_mention() {
    let store = store_with_campaign();
    let body = mastodon_event(status(1, "public", "NuitDeLaLecture"));
    let outcome =
        mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Accepted);
    assert_eq!((outcome.mentions, outcome.filed), (1, 1));

    let mention =
        mastodon::status_mention(&status(1, "public", "NuitDeLaLecture"), clock().now()).unwrap();
    assert_eq!(mention.text, "Je lis ce soir #NuitDeLaLecture <3");
    assert_eq!(mention.author_name, "Ana <b>");
    assert_eq!(mention.author_handle, "@ana@social.example");
    assert_eq!(mention.media_alt, ["Une pile de livres"]);
    assert_eq!(
        mention.platform_id,
        "https://social.example/users/ana/statuses/1"
    );
    assert_eq!(mention.created_at.to_string(), "2027-03-27T08:00:00Z");

    // The same bytes again: acknowledged, nothing new.
    let again =
        mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    assert_eq!(again.status, OutcomeStatus::Replay);
}

#[test]
fn private_statuses_boosts_and_other_events_are_ignored() {
    let store = store_with_campaign();
    for visibility in ["private", "direct"] {
        assert!(
            mastodon::status_mention(&status(2, visibility, "NuitDeLaLecture"), clock().now())
                .is_none()
        );
    }
    let mut boost = status(3, "public", "NuitDeLaLecture");
    boost["reblog"] = status(4, "public", "NuitDeLaLecture");
    assert!(mastodon::status_mention(&boost, clock().now()).is_none());

    store.reset_ops();
    for body in [
        serde_json::to_vec(&json!({"event": "account.created", "object": {"secret": "x"}}))
            .unwrap(),
        mastodon_event(status(5, "direct", "NuitDeLaLecture")),
    ] {
        let outcome =
            mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
        assert_eq!(outcome.status, OutcomeStatus::Ignored);
    }
    assert_eq!(store.ops().total(), 0, "ignored events touch no key");
}

#[test]
fn forged_deliveries_store_nothing() {
    let store = store_with_campaign();
    let keys_before = store.len();
    store.reset_ops();
    let body = mastodon_event(status(6, "public", "NuitDeLaLecture"));
    for signature in [None, Some(hub(b"wrong", &body))] {
        assert!(matches!(
            mastodon::receive(&store, &clock(), SECRET, signature.as_deref(), &body),
            Err(InboundError::BadSignature)
        ));
        assert!(matches!(
            meta::receive(&store, &clock(), SECRET, signature.as_deref(), &body),
            Err(InboundError::BadSignature)
        ));
    }
    let secret = [7u8; 24];
    let headers = StandardHeaders {
        id: Some("msg_1"),
        timestamp: Some("1806000000"),
        signature: Some("v1,AAAA"),
    };
    assert!(standard::receive(&store, &clock(), &secret, headers, b"{}").is_err());
    assert_eq!(
        store.ops().total(),
        0,
        "no store call before a signature matches"
    );
    assert_eq!(store.len(), keys_before);
}

#[test]
fn meta_comments_and_page_posts_become_mentions() {
    let store = store_with_campaign();
    let body = serde_json::to_vec(&json!({
        "object": "instagram",
        "entry": [{"id": "17841400000", "time": NOW, "changes": [
            {"field": "comments", "value": {"id": "17865799348089039", "text": "Super soirée #nuitdelalecture !",
              "from": {"id": "1", "username": "lecteur"}, "media": {"id": "2"}}},
            {"field": "mentions", "value": {"media_id": "3", "comment_id": "4"}},
        ]}],
    }))
    .unwrap();
    let outcome =
        meta::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    assert_eq!(outcome.event, "instagram/comments,mentions");
    assert_eq!(
        (outcome.status, outcome.mentions, outcome.filed),
        (OutcomeStatus::Accepted, 1, 1)
    );

    let page = serde_json::to_vec(&json!({
        "object": "page",
        "entry": [{"id": "1", "time": NOW, "changes": [
            {"field": "feed", "value": {"item": "status", "verb": "add", "post_id": "1_2",
              "message": "#NuitDeLaLecture à la médiathèque", "from": {"id": "9", "name": "Jo"},
              "created_time": NOW - 60}},
            {"field": "feed", "value": {"item": "status", "verb": "remove", "post_id": "1_3",
              "message": "#NuitDeLaLecture"}},
        ]}],
    }))
    .unwrap();
    let outcome =
        meta::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &page)), &page).unwrap();
    assert_eq!((outcome.mentions, outcome.filed), (1, 1));
}

fn standard_delivery(id: &str, timestamp: i64, body: &[u8], secret: &[u8]) -> (String, String) {
    (
        timestamp.to_string(),
        webhook::signature(secret, id, timestamp, body),
    )
}

#[test]
fn standard_mentions_are_deduplicated_on_the_webhook_id() {
    let store = store_with_campaign();
    let secret = [9u8; 32];
    let body = serde_json::to_vec(&json!({
        "type": "mention.created",
        "timestamp": "2027-03-27T08:00:00Z",
        "data": {"platform": "PeerTube", "id": "https://video.example/w/1", "author_name": "Vidéaste",
                 "text": "Ma lecture pour la #NuitDeLaLecture", "url": "https://video.example/w/1"},
    }))
    .unwrap();
    let (timestamp, signature) = standard_delivery("msg_1", NOW, &body, &secret);
    let headers = StandardHeaders {
        id: Some("msg_1"),
        timestamp: Some(&timestamp),
        signature: Some(&signature),
    };
    let first = standard::receive(&store, &clock(), &secret, headers, &body).unwrap();
    assert_eq!((first.status, first.filed), (OutcomeStatus::Accepted, 1));
    let replay = standard::receive(&store, &clock(), &secret, headers, &body).unwrap();
    assert_eq!(replay.status, OutcomeStatus::Replay);

    // Unknown types are acknowledged and ignored.
    let other = br#"{"type": "order.paid", "timestamp": "2027-03-27T08:00:00Z", "data": {}}"#;
    let (timestamp, signature) = standard_delivery("msg_2", NOW, other, &secret);
    let headers = StandardHeaders {
        id: Some("msg_2"),
        timestamp: Some(&timestamp),
        signature: Some(&signature),
    };
    let ignored = standard::receive(&store, &clock(), &secret, headers, other).unwrap();
    assert_eq!(ignored.status, OutcomeStatus::Ignored);

    // A mention.created with a malformed field says which.
    let bad = br##"{"type": "mention.created", "data": {"platform": "x", "id": "1", "author_name": "a", "text": "#Lire", "url": "http://plain"}}"##;
    let (timestamp, signature) = standard_delivery("msg_3", NOW, bad, &secret);
    let headers = StandardHeaders {
        id: Some("msg_3"),
        timestamp: Some(&timestamp),
        signature: Some(&signature),
    };
    let error = standard::receive(&store, &clock(), &secret, headers, bad).unwrap_err();
    assert_eq!(error.to_string(), "data.url: an https URL");
}

/// Fills the store with `n` earlier mentions of the campaign, through the webhook itself.
fn store_with_history(n: u64) -> MemoryStore {
    let store = store_with_campaign();
    for i in 0..n {
        let body = mastodon_event(status(1000 + i, "public", "NuitDeLaLecture"));
        mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    }
    store
}

/// `(valid, replayed, forged)` store calls of one Mastodon delivery.
fn delivery_costs(store: &MemoryStore) -> (u64, u64, u64) {
    let body = mastodon_event(status(1, "public", "NuitDeLaLecture"));
    let signature = hub(SECRET, &body);
    let mut costs = [0u64; 3];
    for (i, signature) in [signature.clone(), signature, hub(b"forged", &body)]
        .iter()
        .enumerate()
    {
        store.reset_ops();
        let _ = mastodon::receive(store, &clock(), SECRET, Some(signature), &body);
        costs[i] = store.ops().total();
    }
    (costs[0], costs[1], costs[2])
}

#[test]
fn a_delivery_costs_the_same_with_10_or_1000_mentions_stored() {
    let few = delivery_costs(&store_with_history(10));
    let many = delivery_costs(&store_with_history(1000));
    assert_eq!(few, many);
    // Valid: the delivery's marker read, then receive_mention (index read, mention claim,
    // reservation, filing), the marker written, the status's local id as an alias (1 read,
    // 2 writes); replayed: the marker read only; forged: nothing.
    assert_eq!(few.1, 1);
    assert_eq!(few.2, 0);
    assert!(few.0 <= 17, "{few:?}");
    eprintln!("store calls per Mastodon delivery (valid, replayed, forged): {few:?}");
}

#[test]
fn a_storage_failure_gives_the_claim_back_so_the_retry_is_processed() {
    let mut failing = crate::store::FaultyStore::new();
    add_campaign(&failing);
    // The filing's first write fails.
    failing.fail_nth_write(0);
    let body = mastodon_event(status(7, "public", "NuitDeLaLecture"));
    let signature = hub(SECRET, &body);
    let error = mastodon::receive(&failing, &clock(), SECRET, Some(&signature), &body);
    assert!(matches!(error, Err(InboundError::Storage(_))), "{error:?}");
    // The platform retries once the store is back: processed, not a replay.
    failing.heal();
    let retry = mastodon::receive(&failing, &clock(), SECRET, Some(&signature), &body).unwrap();
    assert_eq!(retry.status, OutcomeStatus::Accepted);
    assert_eq!(retry.filed, 1);
}

#[test]
fn a_delivery_that_fails_at_any_write_is_filed_once_when_the_platform_retries() {
    let body = mastodon_event(status(8, "public", "NuitDeLaLecture"));
    let signature = hub(SECRET, &body);
    crate::claims::at_every_write(
        || {
            let store = crate::store::FaultyStore::new();
            add_campaign(&store);
            (store, ())
        },
        |store, _| {
            let _ = mastodon::receive(store, &clock(), SECRET, Some(&signature), &body);
        },
        |store, _, crash| {
            // Platforms retry a failed delivery (or one that timed out when the instance
            // died) for hours: within a minute after an error, later after a crash.
            let later = if crash { NOW + 600 } else { NOW + 60 };
            let at = FixedClock(Timestamp::from_unix_seconds(later).unwrap());
            mastodon::receive(store, &at, SECRET, Some(&signature), &body)
                .unwrap_or_else(|e| panic!("crash {crash}: the retry failed: {e:?}"));
            let queue =
                campaigns::wall::queue(store, &CampaignId::generate([1; 10]), None, 1, 9).unwrap();
            assert_eq!(queue.items.len(), 1, "crash {crash}: {queue:?}");
        },
    );
}

/// `(outcome, store calls)` of one call.
fn costed(
    store: &MemoryStore,
    send: impl FnOnce(&MemoryStore) -> Result<Outcome, InboundError>,
) -> (Option<OutcomeStatus>, u64) {
    store.reset_ops();
    let outcome = send(store);
    (outcome.map(|o| o.status).ok(), store.ops().total())
}

#[test]
fn meta_and_standard_deliveries_cost_a_marker_plus_the_filing() {
    let meta_body = serde_json::to_vec(&json!({"object": "instagram", "entry": [{"changes": [
        {"field": "comments", "value": {"id": "c1", "text": "#NuitDeLaLecture",
                                        "from": {"username": "u"}}}]}]}))
    .unwrap();
    let secret = [3u8; 32];
    let body: &[u8] = br##"{"type": "mention.created", "data": {"platform": "n8n", "id": "p1", "author_name": "a", "text": "#NuitDeLaLecture"}}"##;
    let (timestamp, signature) = standard_delivery("msg_9", NOW, body, &secret);
    let meta = |store: &MemoryStore, signature: &str| {
        costed(store, |s| {
            meta::receive(s, &clock(), SECRET, Some(signature), &meta_body)
        })
    };
    let standard = |store: &MemoryStore, signature: &str| {
        let headers = StandardHeaders {
            id: Some("msg_9"),
            timestamp: Some(&timestamp),
            signature: Some(signature),
        };
        costed(store, |s| {
            standard::receive(s, &clock(), &secret, headers, body)
        })
    };
    for history in [10, 1000] {
        let store = store_with_history(history);
        let good = hub(SECRET, &meta_body);
        assert_eq!(meta(&store, &good), (Some(OutcomeStatus::Accepted), 14));
        assert_eq!(meta(&store, &good), (Some(OutcomeStatus::Replay), 1));
        assert_eq!(meta(&store, &hub(b"x", &meta_body)), (None, 0));
        assert_eq!(
            standard(&store, &signature),
            // No author handle in this event: no author reference (2 calls fewer).
            (Some(OutcomeStatus::Accepted), 12)
        );
        assert_eq!(
            standard(&store, &signature),
            (Some(OutcomeStatus::Replay), 1)
        );
        assert_eq!(standard(&store, "v1,AAAA"), (None, 0));
    }
}

fn queue_len(store: &MemoryStore) -> usize {
    campaigns::wall::queue(store, &CampaignId::generate([1; 10]), None, 1, 100)
        .unwrap()
        .items
        .len()
}

#[test]
fn a_mastodon_status_deleted_leaves_the_walls_by_its_id_or_uri() {
    let store = store_with_campaign();
    for id in [11, 12, 13] {
        let body = mastodon_event(status(id, "public", "NuitDeLaLecture"));
        mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    }
    assert_eq!(queue_len(&store), 3);
    let deleted = |object: serde_json::Value| {
        let body = serde_json::to_vec(
            &json!({"event": "status.deleted", "created_at": "2027-03-27T09:00:00Z", "object": object}),
        )
        .unwrap();
        mastodon::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body)
    };
    // The documented payload: the status id as a string.
    let outcome = deleted(json!("11")).unwrap();
    assert_eq!(
        (outcome.event.as_str(), outcome.removed),
        ("status.deleted", 1)
    );
    // A status object: found by its uri.
    let uri = "https://social.example/users/ana/statuses/12";
    assert_eq!(deleted(json!({"uri": uri})).unwrap().removed, 1);
    assert_eq!(queue_len(&store), 1);
    // Again: nothing to remove, no error.
    assert_eq!(deleted(json!("11")).unwrap().removed, 0);
    // Forged: refused before anything changes.
    let body = br#"{"event":"status.deleted","object":"13"}"#;
    assert!(mastodon::receive(&store, &clock(), SECRET, Some(&hub(b"other", body)), body).is_err());
    assert_eq!(queue_len(&store), 1);
}

#[test]
fn a_meta_page_feed_removal_leaves_the_walls() {
    let store = store_with_campaign();
    let feed = |verb: &str, comment: &str| {
        serde_json::to_vec(
            &json!({"object": "page", "entry": [{"id": "1", "time": NOW, "changes": [
            {"field": "feed", "value": {"verb": verb, "item": "comment", "comment_id": comment,
             "post_id": "1_2", "message": "Bravo #NuitDeLaLecture", "from": {"name": "Léa"},
             "created_time": NOW}}]}]}),
        )
        .unwrap()
    };
    for comment in ["1_2_3", "1_2_4"] {
        let body = feed("add", comment);
        meta::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    }
    assert_eq!(queue_len(&store), 2);
    let body = feed("remove", "1_2_3");
    let outcome =
        meta::receive(&store, &clock(), SECRET, Some(&hub(SECRET, &body)), &body).unwrap();
    assert_eq!(outcome.removed, 1);
    assert_eq!(queue_len(&store), 1);
}
