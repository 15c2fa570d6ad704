use super::*;
use crate::clock::FixedClock;
use crate::social::testing::{ScriptedAnswer, ScriptedHttp, json, raw};
use crate::social::{PostImage, PostPoll, block_on};
use crate::store::MemoryStore;
use crate::web::HttpsUrl;

const TOKEN: &str = "mastodon-token-1234";
const PASSWORD: &str = "app-pass-word";

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_795_000_000).unwrap()
}

fn key() -> CredentialKey {
    CredentialKey::from_bytes([7; 32])
}

fn random(n: u8) -> ChannelRandom {
    ChannelRandom {
        id: [n; 10],
        nonce: [n; 12],
        secret: [n; 24],
    }
}

fn new_channel(store: &MemoryStore, kind: &str, n: u8) -> Channel {
    let mut request =
        serde_json::json!({"kind": kind, "name": "Bib", "url": "https://social.example"});
    match kind {
        "mastodon" => request["access_token"] = TOKEN.into(),
        "bluesky" => {
            request["app_password"] = PASSWORD.into();
            request["handle"] = "bib.bsky.social".into();
        }
        _ => {}
    }
    let new = NewChannel::parse(serde_json::from_value(request).unwrap()).unwrap();
    create(store, &key(), now(), random(n), new).unwrap().0
}

fn text(text: &str) -> PostContent {
    PostContent {
        text: text.into(),
        ..PostContent::default()
    }
}

fn image(alt: &str) -> PostImage {
    PostImage::from_url(
        HttpsUrl::parse("url", "https://img.example/a.png", 200).unwrap(),
        alt,
    )
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn credentials_are_sealed_and_never_in_the_channel() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let shown = serde_json::to_string(&channel).unwrap();
    assert!(!shown.contains(TOKEN));
    let stored = store.get(&keys::channel(&channel.id)).unwrap().unwrap();
    assert!(!String::from_utf8_lossy(&stored).contains(TOKEN));
    let opened = open_credentials(&key(), &get_stored(&store, &channel.id).unwrap()).unwrap();
    assert_eq!(opened, Credentials::AccessToken(TOKEN.into()));
    // Another key opens nothing.
    let other = CredentialKey::from_bytes([8; 32]);
    assert!(open_credentials(&other, &get_stored(&store, &channel.id).unwrap()).is_err());

    // Errors about credentials never quote them.
    let error = NewChannel::parse(
        serde_json::from_value(serde_json::json!({"kind": "mastodon", "name": "M",
            "url": "https://m.example", "access_token": "has space"}))
        .unwrap(),
    )
    .unwrap_err();
    assert!(!error.to_string().contains("has space"), "{error}");
}

#[test]
fn webhook_channels_get_a_generated_secret_shown_once() {
    let store = MemoryStore::new();
    let new = NewChannel::parse(
        serde_json::from_value(serde_json::json!({"kind": "webhook", "name": "Site",
            "url": "https://site.example/hook"}))
        .unwrap(),
    )
    .unwrap();
    let (channel, secret) = create(&store, &key(), now(), random(3), new).unwrap();
    assert_eq!(
        secret.as_deref(),
        Some(webhook::format_secret(&[3; 24]).as_str())
    );
    assert!(!serde_json::to_string(&channel).unwrap().contains("whsec_"));
}

#[test]
fn get_costs_one_read_and_list_three_whatever_the_number_of_channels() {
    for count in [2u8, 60] {
        let store = MemoryStore::new();
        let mut ids = Vec::new();
        for n in 0..count {
            ids.push(new_channel(&store, "mastodon", n).id);
        }
        store.reset_ops();
        get(&store, &ids[0]).unwrap();
        assert_eq!(store.ops().total(), 1);
        store.reset_ops();
        assert_eq!(list(&store).unwrap().len(), usize::from(count));
        assert_eq!(store.ops().total(), 3, "{count} channels");
    }
}

#[test]
fn mastodon_rules() {
    let store = MemoryStore::new();
    let mut channel = new_channel(&store, "mastodon", 1);
    // 477 letters + a long URL counted as 23 = 500: fits the default limit.
    let fits = format!(
        "{} https://bib.example/{}",
        "a".repeat(476),
        "x".repeat(300)
    );
    assert_eq!(validate(&channel, &text(&fits)), vec![]);
    let errors = validate(&channel, &text(&format!("b{fits}")));
    assert_eq!(fields(&errors), ["text"]);
    assert!(errors[0].message.contains("501 characters"), "{errors:?}");
    // The content warning counts too; a larger server limit is honoured.
    let mut warned = text(&fits);
    warned.content_warning = Some("spoiler".into());
    assert_eq!(fields(&validate(&channel, &warned)), ["text"]);
    channel.limits.max_characters = 1000;
    assert_eq!(validate(&channel, &warned), vec![]);

    let mut post = text("Expo");
    post.images = vec![image("Affiche"), image("  ")];
    post.poll = Some(PostPoll {
        options: vec!["Oui".into()],
        expires_in_secs: 60,
        multiple: false,
    });
    assert_eq!(
        fields(&validate(&channel, &post)),
        [
            "images[1].alt",
            "poll",
            "poll.options",
            "poll.expires_in_secs"
        ]
    );
    post.images.clear();
    post.poll = Some(PostPoll {
        options: vec!["Oui".into(), "x".repeat(51)],
        expires_in_secs: 3600,
        multiple: true,
    });
    assert_eq!(fields(&validate(&channel, &post)), ["poll.options[1]"]);
}

#[test]
fn bluesky_rules() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 1);
    let mut post = text(&"é".repeat(290));
    post.hashtags = vec!["NuitDeLaLecture".into()];
    // 290 + 2 line breaks + 16 = 308 graphemes.
    assert_eq!(fields(&validate(&channel, &post)), ["text"]);
    post.text = "Bonne lecture".into();
    post.visibility = crate::social::Visibility::Private;
    post.poll = Some(PostPoll {
        options: vec!["a".into(), "b".into()],
        expires_in_secs: 600,
        multiple: false,
    });
    post.hashtags = (0..9).map(|i| format!("Tag{i}")).collect();
    assert_eq!(
        fields(&validate(&channel, &post)),
        ["hashtags", "poll", "visibility"]
    );
}

fn mastodon_ok(http: &ScriptedHttp) {
    http.on(
        "POST",
        "/api/v1/statuses",
        json(
            200,
            serde_json::json!({"id": "42", "url": "https://social.example/@bib/42"}),
        ),
    );
}

#[test]
fn mastodon_publishing_sends_the_idempotency_key_and_the_alt_text() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "img.example",
        raw(200, &[("content-type", "image/png")], b"\x89PNG..."),
    );
    http.on(
        "POST",
        "/api/v2/media",
        json(200, serde_json::json!({"id": "m1"})),
    );
    mastodon_ok(&http);
    let mut post = text("Nouvelle expo #Photo");
    post.images = vec![image("Une photo de la façade")];
    post.language = Some("fr".into());
    post.content_warning = Some("lumière vive".into());
    post.hashtags = vec!["Expo".into()];
    let clock = FixedClock(now());
    let outcome = block_on(publish(
        &store,
        &clock,
        &key(),
        &http,
        &channel.id,
        &post,
        "post-1/c1/1",
        None,
    ));
    assert_eq!(
        outcome,
        PublishOutcome::Published {
            platform_id: "42".into(),
            url: "https://social.example/@bib/42".into()
        }
    );
    let media = &http.requests_to("/api/v2/media")[0];
    let body = String::from_utf8_lossy(&media.body);
    assert!(body.contains("name=\"description\"\r\n\r\nUne photo de la façade\r\n"));
    let status = &http.requests_to("/api/v1/statuses")[0];
    let header = |name: &str| {
        status
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("idempotency-key"), Some("post-1/c1/1"));
    assert_eq!(
        header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let sent: serde_json::Value = serde_json::from_slice(&status.body).unwrap();
    assert_eq!(sent["status"], "Nouvelle expo #Photo\n\n#Expo");
    assert_eq!(sent["media_ids"], serde_json::json!(["m1"]));
    assert_eq!(sent["spoiler_text"], "lumière vive");
    assert_eq!(sent["language"], "fr");
    assert_eq!(
        get(&store, &channel.id).unwrap().status,
        ChannelStatus::Connected
    );
}

#[test]
fn platform_errors_are_classified() {
    let cases: Vec<(ScriptedAnswer, PublishOutcome)> = vec![
        (
            Err(HttpFailure::Timeout),
            PublishOutcome::RetryLater {
                reason: "Mastodon: timed out".into(),
                retry_after_secs: None,
            },
        ),
        (
            json(503, serde_json::json!({"error": "down"})),
            PublishOutcome::RetryLater {
                reason: "Mastodon answered 503: down".into(),
                retry_after_secs: None,
            },
        ),
        (
            raw(
                429,
                &[("Retry-After", "120")],
                b"{\"error\":\"Too many requests\"}",
            ),
            PublishOutcome::RetryLater {
                reason: "Mastodon answered 429: Too many requests".into(),
                retry_after_secs: Some(120),
            },
        ),
        (
            json(
                422,
                serde_json::json!({"error": "Validation failed: Text is too long"}),
            ),
            PublishOutcome::Refused {
                message: "Mastodon: Validation failed: Text is too long".into(),
            },
        ),
        (
            Err(HttpFailure::Denied("social.example".into())),
            PublishOutcome::Refused {
                message: format!("Mastodon: {}", HttpFailure::Denied("social.example".into())),
            },
        ),
    ];
    for (answer, expected) in cases {
        let store = MemoryStore::new();
        let channel = new_channel(&store, "mastodon", 1);
        let http = ScriptedHttp::new();
        http.on("POST", "/api/v1/statuses", answer);
        let outcome = block_on(publish(
            &store,
            &FixedClock(now()),
            &key(),
            &http,
            &channel.id,
            &text("Bonjour"),
            "k",
            None,
        ));
        assert_eq!(outcome, expected);
        assert_eq!(
            get(&store, &channel.id).unwrap().status,
            ChannelStatus::Unchecked
        );
    }
}

#[test]
fn a_refused_token_marks_the_channel_and_stops_publishing() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let (_, whsec) = webhooks_out::create_endpoint(
        &store,
        &key(),
        now(),
        ([1; 10], [1; 12], [1; 32]),
        serde_json::from_value(serde_json::json!({"url": "https://hooks.example/k"})).unwrap(),
    )
    .unwrap();
    assert!(whsec.starts_with("whsec_"));
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "/api/v1/statuses",
        json(
            401,
            serde_json::json!({"error": "The access token is invalid"}),
        ),
    );
    let publish_once = || {
        block_on(publish(
            &store,
            &FixedClock(now()),
            &key(),
            &http,
            &channel.id,
            &text("Bonjour"),
            "k",
            None,
        ))
    };
    let outcome = publish_once();
    assert!(
        matches!(&outcome, PublishOutcome::NeedsReconnect { reason } if reason.contains("401")),
        "{outcome:?}"
    );
    let marked = get(&store, &channel.id).unwrap();
    assert_eq!(marked.status, ChannelStatus::NeedsReconnect);
    // Staff are told through the lifecycle webhooks, once.
    let queued = webhooks_out::list_deliveries(&store, None, 10).unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].event_type, "channel.needs_reconnect");

    // While marked, nothing is sent.
    let sent = http.requests().len();
    assert!(matches!(
        publish_once(),
        PublishOutcome::NeedsReconnect { .. }
    ));
    assert_eq!(http.requests().len(), sent);
    assert_eq!(
        webhooks_out::list_deliveries(&store, None, 10)
            .unwrap()
            .len(),
        1
    );

    // New credentials bring it back.
    set_credentials(
        &store,
        &key(),
        &channel.id,
        [9; 12],
        CredentialsRequest {
            access_token: Some("new-token".into()),
            app_password: None,
        },
    )
    .unwrap();
    http.clear("POST", "/api/v1/statuses");
    mastodon_ok(&http);
    assert!(matches!(publish_once(), PublishOutcome::Published { .. }));
    let last = http.requests_to("/api/v1/statuses").pop().unwrap();
    assert!(
        last.headers
            .contains(&("authorization".into(), "Bearer new-token".into()))
    );
}

fn bluesky_session(n: u32) -> ScriptedAnswer {
    json(
        200,
        serde_json::json!({"did": "did:plc:bib", "handle": "bib.bsky.social",
            "accessJwt": format!("access-{n}"), "refreshJwt": format!("refresh-{n}")}),
    )
}

fn bluesky_publish(
    store: &MemoryStore,
    http: &ScriptedHttp,
    id: &ChannelId,
    post: &PostContent,
    key_: &str,
) -> PublishOutcome {
    block_on(publish(
        store,
        &FixedClock(now()),
        &key(),
        http,
        id,
        post,
        key_,
        None,
    ))
}

#[test]
fn bluesky_logs_in_once_then_refreshes() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 1);
    let http = ScriptedHttp::new();
    http.on("POST", "createSession", bluesky_session(0));
    http.on("POST", "refreshSession", bluesky_session(1));
    http.on(
        "GET",
        "getRecord",
        json(400, serde_json::json!({"error": "RecordNotFound"})),
    );
    http.on(
        "POST",
        "createRecord",
        json(
            200,
            serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/x", "cid": "c"}),
        ),
    );
    for i in 0..3 {
        let outcome = bluesky_publish(
            &store,
            &http,
            &channel.id,
            &text("Bonjour"),
            &format!("k{i}"),
        );
        assert!(
            matches!(outcome, PublishOutcome::Published { .. }),
            "{outcome:?}"
        );
    }
    assert_eq!(
        http.requests_to("createSession").len(),
        1,
        "one login for three posts"
    );
    assert_eq!(http.requests_to("refreshSession").len(), 0);
    let stored_session = store
        .get(&keys::channel_session(&channel.id))
        .unwrap()
        .unwrap();
    assert!(!String::from_utf8_lossy(&stored_session).contains("access-0"));

    // The access token expires: one refresh, then the same request again.
    http.clear("POST", "createRecord");
    http.on(
        "POST",
        "createRecord",
        json(400, serde_json::json!({"error": "ExpiredToken"})),
    );
    http.on(
        "POST",
        "createRecord",
        json(
            200,
            serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/y", "cid": "c"}),
        ),
    );
    let outcome = bluesky_publish(&store, &http, &channel.id, &text("Encore"), "k9");
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    assert_eq!(http.requests_to("refreshSession").len(), 1);
    assert_eq!(http.requests_to("createSession").len(), 1);
    let retried = http.requests_to("createRecord").pop().unwrap();
    assert!(
        retried
            .headers
            .contains(&("authorization".into(), "Bearer access-1".into()))
    );
    let record: serde_json::Value = serde_json::from_slice(&retried.body).unwrap();
    assert_eq!(record["repo"], "did:plc:bib");
    assert_eq!(record["record"]["$type"], "app.bsky.feed.post");

    // A wrong app password: needs reconnect.
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 2);
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "createSession",
        json(401, serde_json::json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"})),
    );
    let outcome = bluesky_publish(&store, &http, &channel.id, &text("Bonjour"), "k");
    assert!(
        matches!(outcome, PublishOutcome::NeedsReconnect { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        get(&store, &channel.id).unwrap().status,
        ChannelStatus::NeedsReconnect
    );
}

#[test]
fn bluesky_checks_before_retrying_so_a_lost_answer_does_not_post_twice() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 1);
    let http = ScriptedHttp::new();
    http.on("POST", "createSession", bluesky_session(0));
    // The first attempt's createRecord went through but its answer was lost.
    http.on("POST", "createRecord", Err(HttpFailure::Timeout));
    let first = bluesky_publish(&store, &http, &channel.id, &text("Bonjour"), "post-7/c/1");
    assert!(
        matches!(first, PublishOutcome::RetryLater { .. }),
        "{first:?}"
    );
    let created = http.requests_to("createRecord");
    let rkey = serde_json::from_slice::<serde_json::Value>(&created[0].body).unwrap()["rkey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(rkey.len(), 13);

    http.on(
        "GET",
        "getRecord",
        json(200, serde_json::json!({"uri": format!("at://did:plc:bib/app.bsky.feed.post/{rkey}"), "cid": "c"})),
    );
    let retry = bluesky_publish(&store, &http, &channel.id, &text("Bonjour"), "post-7/c/1");
    assert_eq!(
        retry,
        PublishOutcome::Published {
            platform_id: format!("at://did:plc:bib/app.bsky.feed.post/{rkey}"),
            url: format!("https://bsky.app/profile/bib.bsky.social/post/{rkey}"),
        }
    );
    assert_eq!(
        http.requests_to("createRecord").len(),
        1,
        "no second create"
    );
    let lookup = &http.requests_to("getRecord")[0];
    assert!(
        lookup.url.contains(&format!("rkey={rkey}")),
        "{}",
        lookup.url
    );
    assert!(
        lookup.url.contains("repo=did%3Aplc%3Abib"),
        "{}",
        lookup.url
    );

    // When the first attempt did not create it, the retry creates it with the same key.
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 2);
    let http = ScriptedHttp::new();
    http.on("POST", "createSession", bluesky_session(0));
    http.on(
        "POST",
        "createRecord",
        json(502, serde_json::json!({"error": "bad gateway"})),
    );
    http.on(
        "POST",
        "createRecord",
        json(
            200,
            serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/z", "cid": "c"}),
        ),
    );
    http.on(
        "GET",
        "getRecord",
        json(400, serde_json::json!({"error": "RecordNotFound"})),
    );
    assert!(matches!(
        bluesky_publish(&store, &http, &channel.id, &text("Salut"), "k"),
        PublishOutcome::RetryLater { .. }
    ));
    assert!(matches!(
        bluesky_publish(&store, &http, &channel.id, &text("Salut"), "k"),
        PublishOutcome::Published { .. }
    ));
    let keys_sent: Vec<String> = http
        .requests_to("createRecord")
        .iter()
        .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["rkey"].to_string())
        .collect();
    assert_eq!(keys_sent.len(), 2);
    assert_eq!(keys_sent[0], keys_sent[1]);
}

#[test]
fn bluesky_posts_carry_facets_images_and_resolved_mentions() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 1);
    let http = ScriptedHttp::new();
    http.on("POST", "createSession", bluesky_session(0));
    http.on(
        "GET",
        "resolveHandle?handle=autrice.bsky.social",
        json(200, serde_json::json!({"did": "did:plc:autrice"})),
    );
    http.on(
        "GET",
        "resolveHandle",
        json(400, serde_json::json!({"error": "InvalidRequest"})),
    );
    http.on(
        "GET",
        "img.example",
        raw(200, &[("content-type", "image/jpeg")], &[1u8; 2000]),
    );
    http.on(
        "POST",
        "uploadBlob",
        json(200, serde_json::json!({"blob": {"$type": "blob", "ref": {"$link": "bafk"}, "mimeType": "image/jpeg", "size": 2000}})),
    );
    http.on(
        "POST",
        "createRecord",
        json(
            200,
            serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/x", "cid": "c"}),
        ),
    );
    let mut post = text("Rencontre avec @autrice.bsky.social et @inconnu.example 📚");
    post.hashtags = vec!["Lecture".into()];
    post.link = Some(HttpsUrl::parse("link", "https://bib.example/été", 100).unwrap());
    post.images = vec![image("Portrait de l’autrice")];
    post.language = Some("fr".into());
    let outcome = bluesky_publish(&store, &http, &channel.id, &post, "k");
    assert!(
        matches!(outcome, PublishOutcome::Published { .. }),
        "{outcome:?}"
    );
    let sent: serde_json::Value =
        serde_json::from_slice(&http.requests_to("createRecord")[0].body).unwrap();
    let record = &sent["record"];
    let text = record["text"].as_str().unwrap();
    assert_eq!(
        text,
        "Rencontre avec @autrice.bsky.social et @inconnu.example 📚\n\nhttps://bib.example/été\n\n#Lecture"
    );
    let facets = record["facets"].as_array().unwrap();
    let covered: Vec<&str> = facets
        .iter()
        .map(|f| {
            let start = f["index"]["byteStart"].as_u64().unwrap() as usize;
            let end = f["index"]["byteEnd"].as_u64().unwrap() as usize;
            &text[start..end]
        })
        .collect();
    assert_eq!(
        covered,
        [
            "@autrice.bsky.social",
            "https://bib.example/été",
            "#Lecture"
        ],
        "the unresolved mention stays plain text"
    );
    assert_eq!(record["langs"], serde_json::json!(["fr"]));
    assert_eq!(record["tags"], serde_json::json!(["Lecture"]));
    assert_eq!(record["embed"]["images"][0]["alt"], "Portrait de l’autrice");
    assert_eq!(
        record["embed"]["images"][0]["image"]["ref"]["$link"],
        "bafk"
    );
    let upload = &http.requests_to("uploadBlob")[0];
    assert!(
        upload
            .headers
            .contains(&("content-type".into(), "image/jpeg".into()))
    );

    // An image over 1,000,000 bytes is refused before any upload.
    let http_big = ScriptedHttp::new();
    http_big.on("POST", "createSession", bluesky_session(0));
    http_big.on(
        "GET",
        "img.example",
        raw(
            200,
            &[("content-type", "image/jpeg")],
            &vec![0u8; 1_000_001],
        ),
    );
    let store = MemoryStore::new();
    let channel = new_channel(&store, "bluesky", 2);
    let mut post = self::text("Grande image");
    post.images = vec![image("Une grande image")];
    let outcome = bluesky_publish(&store, &http_big, &channel.id, &post, "k");
    assert!(
        matches!(&outcome, PublishOutcome::Refused { message } if message.contains("1000001 bytes")),
        "{outcome:?}"
    );
    assert!(http_big.requests_to("uploadBlob").is_empty());
}

#[test]
fn check_connection_reads_the_mastodon_server_limits() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "verify_credentials",
        json(200, serde_json::json!({"acct": "bib"})),
    );
    http.on(
        "GET",
        "/api/v2/instance",
        json(
            200,
            serde_json::json!({"configuration": {
                "statuses": {"max_characters": 5000, "max_media_attachments": 4,
                    "characters_reserved_per_url": 23},
                "media_attachments": {"description_limit": 1500},
                "polls": {"max_options": 8, "max_characters_per_option": 100,
                    "min_expiration": 300, "max_expiration": 2629746}}}),
        ),
    );
    let checked = block_on(check_connection(
        &store,
        &FixedClock(now()),
        &key(),
        &http,
        &channel.id,
    ))
    .unwrap();
    assert_eq!(checked.status, ChannelStatus::Connected);
    assert_eq!(checked.account.as_deref(), Some("@bib"));
    assert_eq!(checked.limits.max_characters, 5000);
    assert_eq!(checked.limits.poll_max_options, 8);
    assert_eq!(
        get(&store, &channel.id).unwrap().limits.max_characters,
        5000
    );
}

#[test]
fn retry_after_reads_seconds_and_dates() {
    let response = |value: &str| HttpResponse {
        status: 429,
        headers: vec![("Retry-After".into(), value.into())],
        body: Vec::new(),
    };
    let t = Timestamp::parse("2026-11-29T12:00:00Z").unwrap();
    assert_eq!(retry_after_secs(&response("30"), t), Some(30));
    assert_eq!(
        retry_after_secs(&response("Sun, 29 Nov 2026 12:01:30 GMT"), t),
        Some(90)
    );
    assert_eq!(retry_after_secs(&response("soon"), t), None);
}

#[test]
fn service_urls_are_https_or_loopback_http() {
    assert!(ServiceUrl::parse("url", "https://mastodon.social/").is_ok());
    assert_eq!(
        ServiceUrl::parse("url", "HTTPS://Mastodon.social/")
            .unwrap()
            .as_str(),
        "https://mastodon.social",
        "the url crate writes host names in lower case"
    );
    assert!(ServiceUrl::parse("url", "http://127.0.0.1:8080").is_ok());
    assert!(ServiceUrl::parse("url", "http://[::1]:8080").is_ok());
    assert!(ServiceUrl::parse("url", "http://localhost:8080").is_ok());
    let prefixed = ServiceUrl::parse("url", "https://bib.example:8443/social/").unwrap();
    assert_eq!(prefixed.as_str(), "https://bib.example:8443/social");
    assert_eq!(
        prefixed.join("/api/v1/statuses?limit=1"),
        "https://bib.example:8443/social/api/v1/statuses?limit=1"
    );
    assert_eq!(
        ServiceUrl::parse("url", "https://mastodon.social")
            .unwrap()
            .join("/api/v2/instance"),
        "https://mastodon.social/api/v2/instance"
    );
    for bad in [
        "http://mastodon.social",
        "ftp://x",
        "https://",
        "https://u@x",
        "https://x/#f",
    ] {
        assert!(ServiceUrl::parse("url", bad).is_err(), "{bad}");
    }
}

#[test]
fn publishing_costs_the_same_whatever_the_number_of_channels() {
    let mut costs = Vec::new();
    for count in [2u8, 45] {
        let store = MemoryStore::new();
        let mut last = None;
        let mut last_bluesky = None;
        for n in 0..count {
            last = Some(new_channel(&store, "mastodon", n).id);
            last_bluesky = Some(new_channel(&store, "bluesky", n.wrapping_add(100)).id);
        }
        let http = ScriptedHttp::new();
        mastodon_ok(&http);
        http.on("POST", "createSession", bluesky_session(0));
        http.on(
            "POST",
            "createRecord",
            json(
                200,
                serde_json::json!({"uri": "at://did:plc:bib/app.bsky.feed.post/x"}),
            ),
        );
        let clock = FixedClock(now());
        let publish_ops = |id: &ChannelId, key_: &str| {
            store.reset_ops();
            let outcome = block_on(publish(
                &store,
                &clock,
                &key(),
                &http,
                id,
                &text("Bonjour"),
                key_,
                None,
            ));
            assert!(
                matches!(outcome, PublishOutcome::Published { .. }),
                "{outcome:?}"
            );
            store.ops()
        };
        let mastodon = last.unwrap();
        let bluesky = last_bluesky.unwrap();
        // The first publication also records the channel as connected (1 read + 1 CAS).
        publish_ops(&mastodon, "m1");
        publish_ops(&bluesky, "b1");
        costs.push((publish_ops(&mastodon, "m2"), publish_ops(&bluesky, "b2")));
    }
    assert_eq!(costs[0], costs[1]);
    let (mastodon, bluesky) = &costs[0];
    assert_eq!(mastodon.total(), 1, "{mastodon:?}");
    // Channel, session, record key (read then write).
    assert_eq!(
        (bluesky.get, bluesky.set, bluesky.total()),
        (3, 1, 4),
        "{bluesky:?}"
    );
}

#[test]
fn mastodon_media_still_processing_is_retried_later() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let http = ScriptedHttp::new();
    http.on(
        "GET",
        "img.example",
        raw(200, &[("content-type", "image/png")], b"png"),
    );
    http.on(
        "POST",
        "/api/v2/media",
        json(202, serde_json::json!({"id": "m7"})),
    );
    http.on(
        "GET",
        "/api/v1/media/m7",
        json(206, serde_json::json!({"id": "m7"})),
    );
    http.on(
        "GET",
        "/api/v1/media/m7",
        json(200, serde_json::json!({"id": "m7"})),
    );
    mastodon_ok(&http);
    let mut post = text("Photo");
    post.images = vec![image("Une photo")];
    let attempt = || {
        block_on(publish(
            &store,
            &FixedClock(now()),
            &key(),
            &http,
            &channel.id,
            &post,
            "k",
            None,
        ))
    };
    assert_eq!(
        attempt(),
        PublishOutcome::RetryLater {
            reason: "Mastodon is still processing an image".into(),
            retry_after_secs: Some(60)
        }
    );
    assert!(http.requests_to("/api/v1/statuses").is_empty());
    assert!(matches!(attempt(), PublishOutcome::Published { .. }));
}

#[test]
fn a_first_webhook_endpoint_that_fails_at_any_write_never_blocks_creation() {
    let request = |n: u8| -> webhooks_out::NewEndpointRequest {
        serde_json::from_value(serde_json::json!({"url": format!("https://hooks.example/{n}")}))
            .unwrap()
    };
    let create = |store: &crate::store::FaultyStore, at: Timestamp, n: u8| {
        webhooks_out::create_endpoint(store, &key(), at, ([n; 10], [n; 12], [n; 32]), request(n))
    };
    crate::claims::at_every_write(
        || (crate::store::FaultyStore::new(), ()),
        |store, _| {
            let _ = create(store, now(), 1);
        },
        |store, _, crash| {
            // A failure gives the claim back at once; a dead instance's expires.
            let next = if crash {
                Timestamp::from_unix_seconds(now().unix_seconds() + 600).unwrap()
            } else {
                now()
            };
            create(store, next, 2)
                .unwrap_or_else(|e| panic!("crash {crash}: the next creation failed: {e:?}"));
            let listed = webhooks_out::list_endpoints(store).unwrap();
            assert!(
                (1..=2).contains(&listed.len())
                    && listed.iter().any(|e| e.url.as_str().ends_with("/2")),
                "crash {crash}: {listed:?}"
            );
        },
    );
}

#[test]
fn a_library_image_is_read_from_the_store_not_downloaded() {
    let store = MemoryStore::new();
    let channel = new_channel(&store, "mastodon", 1);
    let rendition = crate::media::testing::jpeg(crate::media::RenditionKind::Social);
    let medium =
        crate::media::testing::medium(&store, &crate::ids::MediumId::generate([9; 10]), 10, 10);
    let http = ScriptedHttp::new();
    http.on(
        "POST",
        "/api/v2/media",
        json(200, serde_json::json!({"id": "m1"})),
    );
    mastodon_ok(&http);
    let mut post = text("Vernissage");
    post.images = vec![PostImage::from_medium(medium.clone(), "Le vernissage")];
    let publish_now = |post: &PostContent| {
        block_on(publish(
            &store,
            &FixedClock(now()),
            &key(),
            &http,
            &channel.id,
            post,
            "k",
            None,
        ))
    };
    assert!(matches!(
        publish_now(&post),
        PublishOutcome::Published { .. }
    ));
    let upload = &http.requests_to("/api/v2/media")[0];
    let body = &upload.body;
    assert!(
        body.windows(rendition.len()).any(|w| w == rendition),
        "the rendition's bytes were sent"
    );
    assert!(body.windows(10).any(|w| w == b"image/jpeg"), "as a JPEG");
    assert_eq!(
        http.requests().iter().filter(|r| r.method == "GET").count(),
        0,
        "nothing downloaded"
    );

    // Deleted from the library: refused for good, with the reason.
    crate::media::delete(&store, &medium).unwrap();
    match publish_now(&post) {
        PublishOutcome::Refused { message } => {
            assert!(
                message.contains("deleted from the media library"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
}
