//! Platform webhooks and hashtag following end to end: deliveries signed in the test (valid,
//! forged, replayed, stale, oversized) for Meta, Mastodon and Standard Webhooks, Meta's
//! handshake, and the campaign hashtags followed by the tick on the fake Mastodon and
//! Bluesky, into the campaign's moderation queue and, approved, onto its public wall.

use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::TestApp;
use tests::fakes::tags::{bluesky_post, mastodon_status};
use tests::fakes::{FakeBluesky, FakeMastodon, base64_encode, hmac_sha256};
use tests::time::{unix_now, utc_day};

const META_SECRET: &str = "meta-app-secret-0123456789abcdef";
const META_VERIFY: &str = "meta-verify-token-kiosque";
const MASTODON_SECRET: &str = "mastodon-webhook-secret-42";
/// 24 bytes, as Standard Webhooks secrets are.
const STANDARD_KEY: &[u8; 24] = b"kiosque-standard-secret!";
const TICK_TOKEN: &str = "tick-token-for-inbound-0123456789";
const MASTODON_TOKEN: &str = "mastodon-access-token-for-follow";
const BLUESKY_PASSWORD: &str = "wxyz-abcd-efgh-ijkl";

fn standard_secret() -> String {
    format!("whsec_{}", base64_encode(STANDARD_KEY))
}

fn app() -> TestApp {
    let standard = standard_secret();
    TestApp::spawn_with_fakes(&[
        ("meta_app_secret", META_SECRET),
        ("meta_verify_token", META_VERIFY),
        ("mastodon_webhook_secret", MASTODON_SECRET),
        ("inbound_webhook_secret", &standard),
        ("scheduler_tick_token", TICK_TOKEN),
    ])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hub(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex(&hmac_sha256(secret.as_bytes(), body)))
}

fn post_signed(app: &TestApp, path: &str, headers: &[(&str, String)], body: &[u8]) -> Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().expect("the app answers")
}

/// Status and JSON body of an answer.
fn answer(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn mastodon_delivery(app: &TestApp, body: &[u8], signature: Option<String>) -> (u16, Value) {
    let headers: Vec<(&str, String)> = signature
        .map(|s| vec![("x-hub-signature", s)])
        .unwrap_or_default();
    answer(post_signed(app, "/webhooks/mastodon", &headers, body))
}

fn standard_delivery(app: &TestApp, id: &str, timestamp: i64, body: &[u8]) -> (u16, Value) {
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    let signature = format!("v1,{}", base64_encode(&hmac_sha256(STANDARD_KEY, &signed)));
    let headers = [
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        // An entry of a rotated-out secret first, as during a key rotation.
        (
            "webhook-signature",
            format!("v1,b2xkLXNlY3JldA== {signature}"),
        ),
    ];
    answer(post_signed(app, "/webhooks/standard", &headers, body))
}

fn status_created(id: u64, tag: &str, text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "event": "status.created",
        "created_at": "2027-03-27T08:00:01.000Z",
        "object": mastodon_status(id, tag, text, "ana@social.example"),
    }))
    .unwrap()
}

#[test]
fn meta_handshake_answers_the_challenge_only_with_the_right_token() {
    let app = app();
    let get = |query: &str| {
        app.client
            .get(app.url(&format!("/webhooks/meta?{query}")))
            .send()
            .expect("the app answers")
    };
    let ok = get(&format!(
        "hub.mode=subscribe&hub.verify_token={META_VERIFY}&hub.challenge=1158201444"
    ));
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(ok.text().unwrap(), "1158201444");

    for query in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_owned(),
        format!("hub.mode=unsubscribe&hub.verify_token={META_VERIFY}&hub.challenge=1"),
        "hub.challenge=1".to_owned(),
    ] {
        let refused = get(&query);
        assert_eq!(refused.status(), 403, "{query}");
        let body = refused.text().unwrap();
        assert!(
            !body.contains(META_VERIFY) && !body.contains("1158"),
            "{body}"
        );
    }
    // Content that is not a plain challenge is not reflected.
    let reflected = get(&format!(
        "hub.mode=subscribe&hub.verify_token={META_VERIFY}&hub.challenge=%3Cscript%3E"
    ));
    assert_eq!(reflected.status(), 400);
}

#[test]
fn signed_deliveries_are_verified_deduplicated_and_bounded() {
    let app = app();

    // Mastodon: valid, replayed, forged, unsigned.
    let body = status_created(1, "Lire", "Premier");
    let (status, first) = mastodon_delivery(&app, &body, Some(hub(MASTODON_SECRET, &body)));
    assert_eq!(
        (status, first["status"].as_str()),
        (200, Some("accepted")),
        "{first}"
    );
    assert_eq!(first["event"], "status.created");
    assert_eq!(first["mentions"], 1);
    let (status, replay) = mastodon_delivery(&app, &body, Some(hub(MASTODON_SECRET, &body)));
    assert_eq!((status, replay["status"].as_str()), (200, Some("replay")));

    let fresh = status_created(2, "Lire", "Deuxième");
    for signature in [
        Some(hub("not-the-secret", &fresh)),
        None,
        Some("sha256=".into()),
    ] {
        let (status, error) = mastodon_delivery(&app, &fresh, signature);
        assert_eq!(status, 401);
        assert_eq!(error["error"]["code"], "invalid_signature");
    }
    // The forged attempts claimed nothing: the genuine delivery is still new.
    let (_, genuine) = mastodon_delivery(&app, &fresh, Some(hub(MASTODON_SECRET, &fresh)));
    assert_eq!(genuine["status"], "accepted");
    // A signature over other bytes (a body changed in transit) is refused.
    let (status, _) = mastodon_delivery(
        &app,
        &status_created(3, "Lire", "Autre"),
        Some(hub(MASTODON_SECRET, &fresh)),
    );
    assert_eq!(status, 401);

    // Unknown event types: acknowledged, ignored.
    let other = br#"{"event":"report.created","created_at":"2027-03-27T08:00:00Z","object":{}}"#;
    let (status, ignored) = mastodon_delivery(&app, other, Some(hub(MASTODON_SECRET, other)));
    assert_eq!((status, ignored["status"].as_str()), (200, Some("ignored")));

    // Meta: the same rules with X-Hub-Signature-256 and the app secret.
    let meta = serde_json::to_vec(&json!({
        "object": "instagram",
        "entry": [{"id": "1784", "time": unix_now(), "changes": [{"field": "comments",
            "value": {"id": "17865", "text": "Bravo #Lire", "from": {"id": "1", "username": "lecteur"},
                      "media": {"id": "2"}}}]}],
    }))
    .unwrap();
    let send_meta = |signature: String| {
        answer(post_signed(
            &app,
            "/webhooks/meta",
            &[("x-hub-signature-256", signature)],
            &meta,
        ))
    };
    let (status, accepted) = send_meta(hub(META_SECRET, &meta));
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted"))
    );
    assert_eq!(accepted["event"], "instagram/comments");
    assert_eq!(send_meta(hub(META_SECRET, &meta)).1["status"], "replay");
    assert_eq!(send_meta(hub(MASTODON_SECRET, &meta)).0, 401);

    // Standard Webhooks: signature among several entries, tolerance, webhook-id dedupe.
    let mention = serde_json::to_vec(&json!({
        "type": "mention.created",
        "timestamp": "2027-03-27T08:00:00Z",
        "data": {"platform": "peertube", "id": "https://video.example/w/1",
                 "author_name": "Vidéaste", "text": "Ma lecture #Lire"},
    }))
    .unwrap();
    let (status, accepted) = standard_delivery(&app, "msg_1", unix_now(), &mention);
    assert_eq!(
        (status, accepted["status"].as_str()),
        (200, Some("accepted")),
        "{accepted}"
    );
    assert_eq!(
        standard_delivery(&app, "msg_1", unix_now(), &mention).1["status"],
        "replay"
    );
    for stale in [unix_now() - 301, unix_now() + 400] {
        let (status, error) = standard_delivery(&app, "msg_2", stale, &mention);
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (401, Some("stale_timestamp"))
        );
    }
    let forged = answer(post_signed(
        &app,
        "/webhooks/standard",
        &[
            ("webhook-id", "msg_3".into()),
            ("webhook-timestamp", unix_now().to_string()),
            ("webhook-signature", "v1,Zm9yZ2Vk".into()),
        ],
        &mention,
    ));
    assert_eq!(forged.0, 401);
    let unknown = br#"{"type":"order.paid","timestamp":"2027-03-27T08:00:00Z","data":{}}"#;
    assert_eq!(
        standard_delivery(&app, "msg_4", unix_now(), unknown).1["status"],
        "ignored"
    );

    // Oversized: 413 before anything is read or verified, on every kind.
    let big = vec![b' '; 300 * 1024];
    for path in ["/webhooks/mastodon", "/webhooks/meta", "/webhooks/standard"] {
        let (status, error) = answer(post_signed(&app, path, &[], &big));
        assert_eq!(
            (status, error["error"]["code"].as_str()),
            (413, Some("payload_too_large")),
            "{path}"
        );
    }
    // Under the webhook cap but over the 64 KiB of other routes: read, then verified.
    let mid = vec![b' '; 100 * 1024];
    assert_eq!(
        mastodon_delivery(&app, &mid, Some(hub(MASTODON_SECRET, &mid))).0,
        400
    );
    assert_eq!(mastodon_delivery(&app, &mid, Some(hub("x", &mid))).0, 401);
}

#[test]
fn an_unconfigured_webhook_is_closed() {
    let app = TestApp::spawn_with_fakes(&[]);
    let body = status_created(1, "Lire", "x");
    // Signed with the empty secret: still refused, the endpoint is closed.
    let (status, _) = mastodon_delivery(&app, &body, Some(hub("", &body)));
    assert_eq!(status, 401);
    let (status, _) = standard_delivery(&app, "msg_1", unix_now(), &body);
    assert_eq!(status, 401);
    let handshake = app
        .client
        .get(app.url("/webhooks/meta?hub.mode=subscribe&hub.verify_token=&hub.challenge=1"))
        .send()
        .unwrap();
    assert_eq!(handshake.status(), 403);
}

fn pending(app: &TestApp, campaign: &str) -> Vec<Value> {
    app.get_json_as_admin(&format!("/api/campaigns/{campaign}/queue?status=pending"))["items"]
        .as_array()
        .expect("queue items")
        .clone()
}

#[test]
fn followed_hashtags_and_webhooks_reach_the_wall_once_each() {
    let app = app();
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "mastodon", "name": "Mastodon", "url": mastodon.url(),
                "access_token": MASTODON_TOKEN}),
    );
    app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "bluesky", "name": "Bluesky", "url": bluesky.url(),
                "handle": "bib.bsky.social", "app_password": BLUESKY_PASSWORD}),
    );
    let campaign = app.post_json_as_admin_ok(
        "/api/campaigns",
        &json!({"name": "Nuit de la lecture", "slug": "nuit-de-la-lecture",
                "description": "Lisez avec nous.", "starts_on": utc_day(-1),
                "ends_on": utc_day(30), "hashtags": ["NuitDeLaLecture"]}),
    );
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();

    // Before the first tick: three statuses and two Bluesky posts carry the tag; one other
    // status does not.
    for (id, text) in [
        (101, "Premier"),
        (102, "J'adore &lt;script&gt;alert(1)&lt;/script&gt;"),
        (103, "Troisième"),
    ] {
        mastodon.add_tag_status(mastodon_status(
            id,
            "NuitDeLaLecture",
            text,
            "ana@social.example",
        ));
    }
    mastodon.add_tag_status(mastodon_status(
        104,
        "AutreChose",
        "Hors sujet",
        "bob@social.example",
    ));
    bluesky.add_search_post(bluesky_post(
        "3kaa",
        "NuitDeLaLecture",
        "Ce soir",
        "2027-03-27T08:00:00.000Z",
    ));
    bluesky.add_search_post(bluesky_post(
        "3kab",
        "NuitDeLaLecture",
        "Demain",
        "2027-03-27T08:01:00.000Z",
    ));

    let report = app.tick(TICK_TOKEN);
    let following = &report["following"];
    assert_eq!(following["pairs"], 2, "{report}");
    assert_eq!(following["requests"], 2, "{report}");
    assert_eq!(following["filed"], 5, "{report}");
    assert_eq!(following["failures"], 0, "{report}");
    assert_eq!(pending(&app, &campaign_id).len(), 5);

    // Nothing new: nothing filed, and each platform was asked from its cursor.
    let report = app.tick(TICK_TOKEN);
    assert_eq!(report["following"]["filed"], 0, "{report}");
    let timeline: Vec<String> = mastodon
        .requests()
        .iter()
        .filter(|r| r.path().starts_with("/api/v1/timelines/tag/"))
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(timeline.len(), 2);
    assert!(!timeline[0].contains("min_id"));
    assert!(timeline[1].contains("min_id=103"), "{timeline:?}");
    let searches: Vec<_> = bluesky
        .requests()
        .into_iter()
        .filter(|r| r.path().ends_with("searchPosts"))
        .collect();
    assert_eq!(
        searches[1].query("since").as_deref(),
        Some("2027-03-27T08:01:00.000Z")
    );
    assert_eq!(
        bluesky.create_sessions(),
        1,
        "the session is cached between ticks"
    );

    // A status arrives by the server's webhook first, then shows on the tag timeline: one
    // mention. A new Bluesky post is found by the next tick.
    let webhook = status_created(105, "NuitDeLaLecture", "Par le webhook");
    let (status, delivered) =
        mastodon_delivery(&app, &webhook, Some(hub(MASTODON_SECRET, &webhook)));
    assert_eq!(
        (status, delivered["filed"].as_u64()),
        (200, Some(1)),
        "{delivered}"
    );
    mastodon.add_tag_status(mastodon_status(
        105,
        "NuitDeLaLecture",
        "Par le webhook",
        "ana@social.example",
    ));
    mastodon.add_tag_status(mastodon_status(
        106,
        "NuitDeLaLecture",
        "Sixième",
        "ana@social.example",
    ));
    bluesky.add_search_post(bluesky_post(
        "3kac",
        "NuitDeLaLecture",
        "Encore",
        "2027-03-27T09:00:00.000Z",
    ));
    let report = app.tick(TICK_TOKEN);
    // Read: 105 and 106 on Mastodon; on Bluesky the new post and the one at `since` again
    // (the search's `since` is inclusive), which the cursor remembers and skips.
    assert_eq!(report["following"]["posts"], 4, "{report}");
    assert_eq!(report["following"]["filed"], 2, "{report}");
    let queue = pending(&app, &campaign_id);
    assert_eq!(queue.len(), 8);
    assert!(mastodon.problems().is_empty(), "{:?}", mastodon.problems());
    assert!(bluesky.problems().is_empty(), "{:?}", bluesky.problems());

    // Approved, the patron's text is on the public wall, escaped.
    let item = queue
        .iter()
        .find(|i| {
            i["mention"]["text"]
                .as_str()
                .unwrap_or("")
                .contains("<script>")
        })
        .expect("the status with markup-like text");
    assert_eq!(
        item["mention"]["text"],
        "J'adore <script>alert(1)</script> #NuitDeLaLecture"
    );
    assert_eq!(item["mention"]["platform"], "mastodon");
    let seq = item["seq"].as_u64().unwrap();
    app.post_json_as_admin_ok(
        &format!("/api/campaigns/{campaign_id}/mentions/{seq}/moderation"),
        &json!({"decision": "approve"}),
    );
    let page = app.get("/campaigns/nuit-de-la-lecture");
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("@ana@social.example"));
    assert!(
        !html.contains("Troisième"),
        "pending mentions stay off the wall"
    );
}

#[test]
fn a_status_deleted_on_mastodon_leaves_the_wall() {
    let app = app();
    let campaign = app.post_json_as_admin_ok(
        "/api/campaigns",
        &json!({"name": "Printemps des poètes", "slug": "printemps",
                "description": "Vos poèmes.", "starts_on": utc_day(-1),
                "ends_on": utc_day(30), "hashtags": ["PrintempsDesPoetes"]}),
    );
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    for (id, text) in [(701, "Un poème à retirer"), (702, "Un poème qui reste")] {
        let body = status_created(id, "PrintempsDesPoetes", text);
        let (status, delivered) = mastodon_delivery(&app, &body, Some(hub(MASTODON_SECRET, &body)));
        assert_eq!((status, delivered["filed"].as_u64()), (200, Some(1)));
    }
    for item in pending(&app, &campaign_id) {
        let seq = item["seq"].as_u64().unwrap();
        app.post_json_as_admin_ok(
            &format!("/api/campaigns/{campaign_id}/mentions/{seq}/moderation"),
            &json!({"decision": "approve"}),
        );
    }
    let html = app.get("/campaigns/printemps").text().unwrap();
    assert!(html.contains("Un poème à retirer"), "{html}");

    // The author deletes the status: the server's webhook names it by its id.
    let deleted = serde_json::to_vec(&json!({
        "event": "status.deleted",
        "created_at": "2027-03-27T09:00:00.000Z",
        "object": "701",
    }))
    .unwrap();
    // Forged: refused before anything changes.
    let (status, _) = mastodon_delivery(&app, &deleted, Some(hub("not-the-secret", &deleted)));
    assert_eq!(status, 401);
    assert!(
        app.get("/campaigns/printemps")
            .text()
            .unwrap()
            .contains("Un poème à retirer")
    );
    let (status, outcome) = mastodon_delivery(&app, &deleted, Some(hub(MASTODON_SECRET, &deleted)));
    assert_eq!(status, 200, "{outcome}");
    assert_eq!(outcome["event"], "status.deleted");
    assert_eq!(outcome["removed"], 1, "{outcome}");
    let html = app.get("/campaigns/printemps").text().unwrap();
    assert!(!html.contains("Un poème à retirer"), "{html}");
    assert!(html.contains("Un poème qui reste"), "{html}");
    // Gone from the staff queue too, not only hidden.
    let queue = app.get_json_as_admin(&format!("/api/campaigns/{campaign_id}/queue"));
    let texts: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["mention"]["text"].as_str())
        .collect();
    assert!(!texts.iter().any(|t| t.contains("à retirer")), "{texts:?}");
    // Deleting again (a redelivery) is acknowledged and changes nothing.
    let (status, again) = mastodon_delivery(&app, &deleted, Some(hub(MASTODON_SECRET, &deleted)));
    assert_eq!(
        (status, again["removed"].as_u64()),
        (200, Some(0)),
        "{again}"
    );
}
