//! Channels and lifecycle webhook endpoints end to end: the real scheduler component on the
//! dev host calling the loopback fakes of Mastodon, Bluesky and a webhook receiver. Secrets
//! go in and never come back out.

use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::TestApp;
use tests::fakes::{Failure, FakeBluesky, FakeMastodon, FakeReceiver};

const MASTODON_TOKEN: &str = "mastodon-token-s3cr3t-0001";
const BLUESKY_PASSWORD: &str = "abcd-efgh-ijkl-mnop";

fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> Response {
    app.admin(method, path, body.as_ref())
}

/// The body of an answer, with a check that no secret given to or made by the app is in it.
fn body_without_secrets(response: Response, secrets: &[&str]) -> (u16, String) {
    let status = response.status().as_u16();
    let text = response.text().unwrap();
    for secret in secrets {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
    (status, text)
}

fn create_channel(app: &TestApp, body: Value) -> Value {
    let (status, text) = body_without_secrets(
        app.post_json_as_admin("/api/channels", &body),
        &[MASTODON_TOKEN, BLUESKY_PASSWORD],
    );
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn channels_are_checked_against_the_platforms_and_never_echo_credentials() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 480);
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    let app = TestApp::spawn_with_fakes(&[]);

    let created = create_channel(
        &app,
        json!({"kind": "mastodon", "name": "Mastodon de la bib", "url": mastodon.url(),
               "access_token": MASTODON_TOKEN}),
    );
    let mastodon_id = created["channel"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["channel"]["status"], "unchecked");
    assert!(created.get("secret").is_none());

    let check = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{mastodon_id}/check"),
        None,
    );
    let (status, text) = body_without_secrets(check, &[MASTODON_TOKEN]);
    assert_eq!(status, 200, "{text}");
    let checked: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(checked["status"], "connected", "{checked}");
    assert_eq!(checked["account"], "@bib");
    // The server's own limit, read from /api/v2/instance.
    assert_eq!(checked["limits"]["max_characters"], 480);
    let calls: Vec<String> = mastodon
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        calls,
        ["/api/v1/accounts/verify_credentials", "/api/v2/instance"]
    );
    assert_eq!(
        mastodon.requests()[0].bearer(),
        Some(MASTODON_TOKEN),
        "the token reaches the platform, and only the platform"
    );

    // Validation uses that limit and the URL rule.
    let long = format!(
        "{} https://bib.example/{}",
        "a".repeat(450),
        "x".repeat(200)
    );
    let (_, text) = body_without_secrets(
        app.post_json_as_admin(
            &format!("/api/channels/{mastodon_id}/validate"),
            &json!({"content": {"text": long, "images": [{"url": "https://bib.example/a.jpg", "alt": " "}]}}),
        ),
        &[],
    );
    let errors: Value = serde_json::from_str(&text).unwrap();
    let fields: Vec<&str> = errors["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["images[0].alt"],
        "450 + 1 + 23 = 474 <= 480: {errors}"
    );

    let created = create_channel(
        &app,
        json!({"kind": "bluesky", "name": "Bluesky", "url": bluesky.url(),
               "handle": "@Bib.bsky.social", "app_password": BLUESKY_PASSWORD}),
    );
    let bluesky_id = created["channel"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["channel"]["handle"], "bib.bsky.social");
    for _ in 0..2 {
        let (status, text) = body_without_secrets(
            admin(
                &app,
                reqwest::Method::POST,
                &format!("/api/channels/{bluesky_id}/check"),
                None,
            ),
            &[BLUESKY_PASSWORD, "access-", "refresh-"],
        );
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("\"connected\""), "{text}");
    }
    assert_eq!(
        bluesky.create_sessions(),
        1,
        "the session is cached: one login for two checks"
    );

    // Every way staff read channels: no credential, no session token.
    for path in [
        "/api/channels".to_owned(),
        format!("/api/channels/{mastodon_id}"),
        format!("/api/channels/{bluesky_id}"),
    ] {
        let (status, _) = body_without_secrets(
            admin(&app, reqwest::Method::GET, &path, None),
            &[MASTODON_TOKEN, BLUESKY_PASSWORD, "access-0", "refresh-0"],
        );
        assert_eq!(status, 200);
    }
    let list = app.get_json_as_admin("/api/channels");
    assert_eq!(list["channels"].as_array().unwrap().len(), 2);

    // A revoked token: the check says "needs reconnect"; new credentials reset it.
    let (status, text) = body_without_secrets(
        admin(
            &app,
            reqwest::Method::PUT,
            &format!("/api/channels/{mastodon_id}/credentials"),
            Some(json!({"access_token": "revoked-token"})),
        ),
        &["revoked-token"],
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"unchecked\""), "{text}");
    let checked = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{mastodon_id}/check"),
        None,
    );
    let (_, text) = body_without_secrets(checked, &["revoked-token", MASTODON_TOKEN]);
    let checked: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(checked["status"], "needs_reconnect", "{checked}");
    assert!(
        checked["status_reason"].as_str().unwrap().contains("401"),
        "{checked}"
    );

    assert!(mastodon.problems().is_empty(), "{:?}", mastodon.problems());
    assert!(bluesky.problems().is_empty(), "{:?}", bluesky.problems());
}

#[test]
fn bad_channels_get_clear_errors() {
    let app = TestApp::spawn_with_fakes(&[]);
    for (body, code) in [
        (
            json!({"kind": "mastodon", "name": "M", "url": "http://evil.example", "access_token": "t"}),
            "invalid_channel",
        ),
        (
            json!({"kind": "mastodon", "name": "M", "url": "https://m.example"}),
            "invalid_channel",
        ),
        (
            json!({"kind": "bluesky", "name": "B", "url": "https://bsky.social", "app_password": "p"}),
            "invalid_channel",
        ),
        (
            json!({"kind": "myspace", "name": "M", "url": "https://m.example"}),
            "invalid_json",
        ),
    ] {
        let response = app.post_json_as_admin("/api/channels", &body);
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().unwrap();
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    let anonymous = app.post_json(
        "/api/channels",
        &json!({"kind": "webhook", "name": "W", "url": "https://w.example"}),
    );
    assert_eq!(anonymous.status(), 401);
    let missing = admin(&app, reqwest::Method::GET, "/api/channels/nope", None);
    assert_eq!(missing.status(), 404);

    // Without credentials_key, channels are unavailable, and say so.
    let unconfigured = TestApp::spawn();
    if !unconfigured.is_external() {
        let response = unconfigured.post_json_as_admin(
            "/api/channels",
            &json!({"kind": "mastodon", "name": "M", "url": "https://m.example",
                    "access_token": MASTODON_TOKEN}),
        );
        assert_eq!(response.status(), 503);
        let (_, text) = body_without_secrets(response, &[MASTODON_TOKEN]);
        assert!(text.contains("credentials_key_missing"), "{text}");
    }
}

#[test]
fn a_platform_slower_than_the_timeout_is_reported_unreachable() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let app = TestApp::spawn_with_fakes(&[("platform_timeout_secs", "1")]);
    let created = create_channel(
        &app,
        json!({"kind": "mastodon", "name": "M", "url": mastodon.url(),
               "access_token": MASTODON_TOKEN}),
    );
    let id = created["channel"]["id"].as_str().unwrap();
    mastodon.fail_next(
        "verify_credentials",
        Failure::Delay(std::time::Duration::from_secs(3)),
    );
    let started = std::time::Instant::now();
    let checked: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{id}/check"),
        None,
    )
    .json()
    .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(checked["status"], "unreachable", "{checked}");
    assert!(
        checked["status_reason"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{checked}"
    );
}

#[test]
fn a_platform_that_drips_its_answer_is_cut_at_the_total_deadline() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    // Phases of 1 s: the call as a whole may last 3 s (three phases, at most 30 s).
    let app = TestApp::spawn_with_fakes(&[("platform_timeout_secs", "1")]);
    let created = create_channel(
        &app,
        json!({"kind": "mastodon", "name": "M", "url": mastodon.url(),
               "access_token": MASTODON_TOKEN}),
    );
    let id = created["channel"]["id"].as_str().unwrap();
    // One byte every 300 ms: never silent for the 1 s between-bytes timeout, yet the answer
    // (over 100 bytes) would take more than 30 s.
    mastodon.fail_next(
        "verify_credentials",
        Failure::Drip(std::time::Duration::from_millis(300)),
    );
    let started = std::time::Instant::now();
    let checked: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{id}/check"),
        None,
    )
    .json()
    .unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(8), "{elapsed:?}");
    assert_eq!(checked["status"], "unreachable", "{checked}");
    assert!(
        checked["status_reason"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{checked}"
    );
}

#[test]
fn webhook_secrets_are_shown_once() {
    let receiver = FakeReceiver::start();
    let app = TestApp::spawn_with_fakes(&[]);

    let created = app.post_json_as_admin(
        "/api/channels",
        &json!({"kind": "webhook", "name": "Site de la bib", "url": receiver.url()}),
    );
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    receiver.set_secret(&secret);
    let id = created["channel"]["id"].as_str().unwrap();

    // The check is a signed `channel.check` message the receiver verifies.
    let checked: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{id}/check"),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(checked["status"], "connected", "{checked}");
    let messages = receiver.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body["type"], "channel.check");

    let endpoint = app.post_json_as_admin(
        "/api/webhook-endpoints",
        &json!({"url": receiver.url(), "description": "automation",
                "events": ["post.published", "channel.needs_reconnect"]}),
    );
    assert_eq!(endpoint.status(), 201);
    let endpoint: Value = endpoint.json().unwrap();
    let endpoint_secret = endpoint["secret"].as_str().unwrap().to_owned();
    assert!(endpoint_secret.starts_with("whsec_"));
    assert_ne!(endpoint_secret, secret);

    for path in [
        "/api/channels".to_owned(),
        format!("/api/channels/{id}"),
        "/api/webhook-endpoints".to_owned(),
        "/api/webhook-endpoints/deliveries".to_owned(),
    ] {
        let (status, _) = body_without_secrets(
            admin(&app, reqwest::Method::GET, &path, None),
            &[
                &secret,
                &endpoint_secret,
                &secret[6..],
                &endpoint_secret[6..],
            ],
        );
        assert_eq!(status, 200, "{path}");
    }
    let bad = app.post_json_as_admin(
        "/api/webhook-endpoints",
        &json!({"url": receiver.url(), "events": ["post.exploded"]}),
    );
    assert_eq!(bad.status(), 400);
    assert!(receiver.problems().is_empty(), "{:?}", receiver.problems());
}

const TICK_TOKEN: &str = "tick-token-for-channels";

/// A channel whose token the fake refuses, checked: it moves to "needs reconnect", which
/// queues a `channel.needs_reconnect` event.
fn break_a_channel(app: &TestApp, mastodon: &FakeMastodon) -> String {
    let created = create_channel(
        app,
        json!({"kind": "mastodon", "name": "M", "url": mastodon.url(),
               "access_token": "a-revoked-token"}),
    );
    let id = created["channel"]["id"].as_str().unwrap().to_owned();
    let checked: Value = admin(
        app,
        reqwest::Method::POST,
        &format!("/api/channels/{id}/check"),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(checked["status"], "needs_reconnect");
    id
}

#[test]
fn lifecycle_webhooks_are_signed_retried_and_410_disables_the_endpoint() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let receiver = FakeReceiver::start();
    let app = TestApp::spawn_with_fakes(&[("scheduler_tick_token", TICK_TOKEN)]);
    let created: Value = app
        .post_json_as_admin(
            "/api/webhook-endpoints",
            &json!({"url": receiver.url(), "description": "automation"}),
        )
        .json()
        .unwrap();
    let endpoint_id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    receiver.set_secret(created["secret"].as_str().unwrap());

    // The receiver is down once: the delivery is retried later with the same webhook-id.
    receiver.fail_next(Failure::Status(503));
    break_a_channel(&app, &mastodon);
    let report = app.tick(TICK_TOKEN);
    assert_eq!(report["webhooks"]["retrying"], 1, "{report}");
    assert!(receiver.messages().is_empty());
    let log = app.get_json_as_admin("/api/webhook-endpoints/deliveries");
    let delivery = &log["deliveries"][0];
    assert_eq!(delivery["status"], "pending", "{log}");
    assert_eq!(delivery["last_status"], 503);
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["event_type"], "channel.needs_reconnect");
    // Not before its backoff: a tick right away sends nothing.
    assert_eq!(app.tick(TICK_TOKEN)["webhooks"]["attempted"], 0);
    assert_eq!(receiver.requests().len(), 1, "one attempt so far");

    // The receiver verifies every signature it gets (a wrong one would be a problem).
    let second = break_a_channel(&app, &mastodon);
    let report = app.tick(TICK_TOKEN);
    assert_eq!(report["webhooks"]["delivered"], 1, "{report}");
    let messages = receiver.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body["type"], "channel.needs_reconnect");
    assert_eq!(messages[0].body["data"]["channel_id"], second.as_str());
    assert!(messages[0].id.starts_with("msg_"));
    let log = app.get_json_as_admin("/api/webhook-endpoints/deliveries");
    assert_eq!(log["deliveries"][0]["status"], "delivered", "{log}");
    assert_eq!(log["deliveries"][0]["last_status"], 204);

    // 410 Gone disables the endpoint; later events are not queued for it.
    receiver.answer_with(410);
    break_a_channel(&app, &mastodon);
    let report = app.tick(TICK_TOKEN);
    assert_eq!(report["webhooks"]["gone"], 1, "{report}");
    let endpoints = app.get_json_as_admin("/api/webhook-endpoints");
    let endpoint = &endpoints["endpoints"][0];
    assert_eq!(endpoint["id"], endpoint_id.as_str());
    assert_eq!(endpoint["enabled"], false, "{endpoints}");
    assert!(
        endpoint["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    let before = app.get_json_as_admin("/api/webhook-endpoints/deliveries")["deliveries"]
        .as_array()
        .unwrap()
        .len();
    break_a_channel(&app, &mastodon);
    let after = app.get_json_as_admin("/api/webhook-endpoints/deliveries")["deliveries"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
    assert_eq!(before, 3);
    let statuses: Vec<String> =
        app.get_json_as_admin("/api/webhook-endpoints/deliveries")["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_str().unwrap().to_owned())
            .collect();
    assert_eq!(statuses, ["gone", "delivered", "pending"]);
    assert!(receiver.problems().is_empty(), "{:?}", receiver.problems());
}

#[test]
fn a_host_outside_allowed_outbound_hosts_is_reported_not_retried() {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let app = TestApp::spawn_with_fakes(&[
        ("mastodon_host", "https://mastodon.social"),
        ("bluesky_host", "https://bsky.social"),
        ("webhook_host", "https://unused.invalid"),
        ("image_host", "https://unused.invalid"),
    ]);
    let created = create_channel(
        &app,
        json!({"kind": "mastodon", "name": "M", "url": mastodon.url(),
               "access_token": MASTODON_TOKEN}),
    );
    let id = created["channel"]["id"].as_str().unwrap();
    let checked: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/channels/{id}/check"),
        None,
    )
    .json()
    .unwrap();
    assert_eq!(checked["status"], "unreachable", "{checked}");
    assert!(
        checked["status_reason"]
            .as_str()
            .unwrap()
            .contains("allowed_outbound_hosts"),
        "{checked}"
    );
    assert!(
        mastodon.requests().is_empty(),
        "the runtime never let it out"
    );
}
