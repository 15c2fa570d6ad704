//! Posts and the scheduler tick end to end, against the loopback fakes of Mastodon, Bluesky
//! and a webhook receiver: on-time publishing through the tick, overlapping ticks, a retry
//! after a lost answer with a single published status, reconnect-needed, the DST boundary,
//! validation with field paths, CSV import with bad rows, and no secret in any answer.
//!
//! The on-time tests schedule a post for the app's next minute (in zone `UTC`) and move the
//! app's clock there (`TestApp::advance_clock_to`) instead of waiting for it.

use std::time::Duration;

use serde_json::{Value, json};
use tests::TestApp;
use tests::fakes::{Failure, FakeBluesky, FakeMastodon, FakeReceiver};
use tests::time;

const TICK_TOKEN: &str = "tick-token-for-the-cron-0123456789";
const MASTODON_TOKEN: &str = "mastodon-secret-access-token-42";
const BLUESKY_PASSWORD: &str = "abcd-efgh-ijkl-mnop";

struct Setup {
    app: TestApp,
    mastodon: FakeMastodon,
    bluesky: FakeBluesky,
    receiver: FakeReceiver,
    masto_id: String,
    bsky_id: String,
}

fn setup(extra: &[(&str, &str)]) -> Setup {
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let bluesky = FakeBluesky::start("bib.bsky.social", BLUESKY_PASSWORD);
    let receiver = FakeReceiver::start();
    let mut variables = vec![("scheduler_tick_token", TICK_TOKEN)];
    variables.extend_from_slice(extra);
    let app = TestApp::spawn_with_fakes(&variables);
    let masto = app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "mastodon", "name": "Mastodon de la médiathèque",
                "url": mastodon.url(), "access_token": MASTODON_TOKEN}),
    );
    let bsky = app.post_json_as_admin_ok(
        "/api/channels",
        &json!({"kind": "bluesky", "name": "Bluesky", "url": bluesky.url(),
                "handle": "bib.bsky.social", "app_password": BLUESKY_PASSWORD}),
    );
    let endpoint = app.post_json_as_admin_ok(
        "/api/webhook-endpoints",
        &json!({"url": receiver.url(), "description": "automatisation"}),
    );
    receiver.set_secret(endpoint["secret"].as_str().expect("a whsec_ secret"));
    Setup {
        masto_id: masto["channel"]["id"].as_str().unwrap().to_owned(),
        bsky_id: bsky["channel"]["id"].as_str().unwrap().to_owned(),
        app,
        mastodon,
        bluesky,
        receiver,
    }
}

fn utc_local(secs: u64) -> String {
    time::utc_minute(secs as i64)
}

fn create_post(s: &Setup, text: &str) -> String {
    let post = s.app.post_json_as_admin_ok(
        "/api/posts",
        &json!({
            "text": text,
            "language": "fr",
            "hashtags": ["nuit de la lecture"],
            "channels": [s.masto_id, s.bsky_id],
        }),
    );
    assert_eq!(post["state"], "draft");
    post["id"].as_str().unwrap().to_owned()
}

fn schedule_next_minute(s: &Setup, id: &str) -> u64 {
    let due = s.app.next_minute() as u64;
    let post = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": utc_local(due), "zone": "UTC"}),
    );
    assert_eq!(post["state"], "scheduled", "{post}");
    due
}

fn get_post(app: &TestApp, id: &str) -> Value {
    app.get_json_as_admin(&format!("/api/posts/{id}"))
}

fn no_problems(s: &Setup) {
    assert_eq!(s.mastodon.problems(), Vec::<String>::new());
    assert_eq!(s.bluesky.problems(), Vec::<String>::new());
    assert_eq!(s.receiver.problems(), Vec::<String>::new());
}

fn event_types(s: &Setup) -> Vec<String> {
    s.receiver
        .messages()
        .iter()
        .map(|m| m.body["type"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn a_scheduled_post_goes_out_on_time_once_despite_overlapping_ticks() {
    let s = setup(&[]);
    let text = "Ce soir à la médiathèque : lectures à voix haute 📚✨ https://bib.example/agenda";
    let id = create_post(&s, text);
    let due = schedule_next_minute(&s, &id);

    // Before it is due: the tick publishes nothing (and delivers post.scheduled).
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["published"], 0, "{report}");
    assert!(s.mastodon.statuses().is_empty());

    s.app.advance_clock_to(due as i64);
    // Two ticks at once, as overlapping cron runs: one publishes, the other finds it claimed.
    let app = &s.app;
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| app.tick(TICK_TOKEN));
        let b = scope.spawn(|| app.tick(TICK_TOKEN));
        (a.join().unwrap(), b.join().unwrap())
    });
    let published =
        a["posts"]["published"].as_u64().unwrap() + b["posts"]["published"].as_u64().unwrap();
    assert_eq!(published, 1, "{a} {b}");
    assert_eq!(s.mastodon.statuses().len(), 1);
    assert_eq!(s.bluesky.records().len(), 1);
    let status = &s.mastodon.statuses()[0];
    assert!(
        status.idempotency_key.starts_with("kiosque-"),
        "{}",
        status.idempotency_key
    );
    assert!(
        status.body["status"]
            .as_str()
            .unwrap()
            .contains("#NuitDeLaLecture"),
        "{}",
        status.body
    );

    // On Bluesky the hashtag and the link are facets (the fake checks their byte offsets
    // against the text, accents and emoji before them).
    let (_, record) = &s.bluesky.records()[0];
    let features: Vec<&Value> = record["facets"]
        .as_array()
        .expect("facets")
        .iter()
        .flat_map(|f| f["features"].as_array().unwrap())
        .collect();
    assert!(
        features.iter().any(|f| f["tag"] == "NuitDeLaLecture"),
        "{record}"
    );
    assert!(
        features
            .iter()
            .any(|f| f["uri"] == "https://bib.example/agenda"),
        "{record}"
    );
    assert_eq!(record["langs"], json!(["fr"]), "{record}");

    let post = get_post(&s.app, &id);
    assert_eq!(post["state"], "published", "{post}");
    for target in post["targets"].as_array().unwrap() {
        assert_eq!(target["status"]["status"], "published", "{post}");
        assert!(
            target["status"]["url"]
                .as_str()
                .unwrap()
                .starts_with("http"),
            "{post}"
        );
        assert!(!target["status"]["platform_id"].as_str().unwrap().is_empty());
    }

    // Later ticks change nothing; the lifecycle webhooks arrived, signed.
    s.app.tick(TICK_TOKEN);
    assert_eq!(s.mastodon.statuses().len(), 1);
    let types = event_types(&s);
    assert_eq!(
        types.iter().filter(|t| *t == "post.published").count(),
        2,
        "{types:?}"
    );
    assert!(types.contains(&"post.scheduled".to_owned()), "{types:?}");
    no_problems(&s);
}

#[test]
fn a_lost_answer_is_retried_with_backoff_and_published_once() {
    // The client gives up after 1 s; the fake Mastodon answers after 3 s (the status exists).
    let s = setup(&[("platform_timeout_secs", "1")]);
    let id = create_post(&s, "Atelier d’écriture samedi à 10 h");
    let due = schedule_next_minute(&s, &id);
    s.mastodon
        .fail_next("/api/v1/statuses", Failure::Delay(Duration::from_secs(3)));
    s.app.advance_clock_to(due as i64);
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["retrying"], 1, "{report}");
    let post = get_post(&s.app, &id);
    assert_eq!(post["state"], "scheduled", "{post}");
    let masto = &post["targets"][0]["status"];
    assert_eq!(masto["status"], "pending", "{post}");
    assert!(masto["last_error"].as_str().is_some(), "{post}");
    assert_eq!(post["targets"][1]["status"]["status"], "published");

    // The retry comes after the backoff (30 to 60 s, on a whole minute), not before.
    let retry_at = post["schedule"]["due_at"].as_str().unwrap().to_owned();
    let retry_secs = parse_utc(&retry_at);
    assert!(retry_secs >= due + 60, "{retry_at}");
    s.app.tick(TICK_TOKEN);
    assert_eq!(get_post(&s.app, &id)["state"], "scheduled");
    s.app.advance_clock_to(retry_secs as i64);
    let report = s.app.tick(TICK_TOKEN);
    assert_eq!(report["posts"]["published"], 1, "{report}");
    // One status only: the retry carried the same Idempotency-Key.
    assert_eq!(s.mastodon.statuses().len(), 1);
    let keys: Vec<String> = s
        .mastodon
        .requests()
        .iter()
        .filter(|r| r.path() == "/api/v1/statuses")
        .map(|r| r.header("idempotency-key").unwrap_or("").to_owned())
        .collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0], keys[1]);
    assert_eq!(s.bluesky.records().len(), 1);
    assert_eq!(get_post(&s.app, &id)["state"], "published");
    no_problems(&s);
}

fn parse_utc(text: &str) -> u64 {
    time::parse_rfc3339(text) as u64
}

#[test]
fn refused_credentials_fail_the_post_and_mark_the_channel() {
    let s = setup(&[]);
    let id = create_post(&s, "Fermeture exceptionnelle lundi");
    s.mastodon
        .fail_next("/api/v1/statuses", Failure::Unauthorized);
    // Publish now: the same claim and outcome path as the tick, without waiting.
    let post = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(post["state"], "failed", "{post}");
    let reason = post["reason"].as_str().unwrap();
    assert!(reason.contains("reconnect"), "{reason}");
    assert_eq!(post["targets"][1]["status"]["status"], "published");
    let channel = s
        .app
        .get_json_as_admin(&format!("/api/channels/{}", s.masto_id));
    let channel = if channel.get("channel").is_some() {
        &channel["channel"]
    } else {
        &channel
    };
    assert_eq!(channel["status"], "needs_reconnect", "{channel}");
    // Staff are told through the lifecycle webhooks, delivered by the next tick.
    s.app.tick(TICK_TOKEN);
    let types = event_types(&s);
    assert!(
        types.contains(&"channel.needs_reconnect".to_owned()),
        "{types:?}"
    );
    assert!(types.contains(&"post.failed".to_owned()), "{types:?}");
    // Publishing it again is refused while published or... it failed: allowed, and the
    // channel still needs reconnecting, so Mastodon is not called again.
    let requests = s.mastodon.requests().len();
    let again = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(again["state"], "failed");
    assert_eq!(s.mastodon.requests().len(), requests);
    assert_eq!(
        s.bluesky.records().len(),
        1,
        "the published channel is kept"
    );
    no_problems(&s);
}

#[test]
fn wall_clock_schedules_cross_daylight_saving_changes() {
    let s = setup(&[]);
    let id = create_post(&s, "Nuit de la lecture");
    let schedule = |at: &str| {
        s.app.post_json_as_admin_ok(
            &format!("/api/posts/{id}/schedule"),
            &json!({"at": at, "zone": "Europe/Paris"}),
        )["schedule"]
            .clone()
    };
    // 10:00 in Paris: 09:00 UTC on Saturday, 08:00 UTC on Sunday after the change.
    assert_eq!(
        schedule("2027-03-27T10:00")["due_at"],
        "2027-03-27T09:00:00Z"
    );
    let sunday = schedule("2027-03-28T10:00");
    assert_eq!(sunday["due_at"], "2027-03-28T08:00:00Z");
    assert_eq!(sunday["local"], "2027-03-28T10:00");
    assert_eq!(sunday["zone"], "Europe/Paris");
    // 02:30 does not exist that night: it goes out at 03:30 summer time.
    assert_eq!(
        schedule("2027-03-28T02:30")["due_at"],
        "2027-03-28T01:30:00Z"
    );
    // 02:30 happens twice on 31 October: the first one.
    assert_eq!(
        schedule("2027-10-31T02:30")["due_at"],
        "2027-10-31T00:30:00Z"
    );
    // The library's zone is the default.
    let default = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": "2027-07-14T10:00"}),
    );
    assert_eq!(default["schedule"]["due_at"], "2027-07-14T08:00:00Z");
    // The calendar lists it on its local day, once (it was moved four times).
    let calendar = s.app.get_json_as_admin("/api/posts/calendar?month=2027-07");
    assert_eq!(
        calendar["days"]["2027-07-14"][0]["id"],
        id.as_str(),
        "{calendar}"
    );
    assert_eq!(calendar["days"]["2027-07-14"][0]["local_time"], "10:00");
    let march = s.app.get_json_as_admin("/api/posts/calendar?month=2027-03");
    assert!(
        march["days"]
            .as_object()
            .unwrap()
            .values()
            .all(|d| d.as_array().unwrap().is_empty()),
        "{march}"
    );
}

#[test]
fn invalid_posts_get_every_problem_with_its_field_path() {
    let s = setup(&[]);
    let response = s.app.post_json_as_admin(
        "/api/posts",
        &json!({"text": "", "channels": [], "images": [{"url": "https://img.example/a.jpg"}],
                "hashtags": ["2026"]}),
    );
    assert_eq!(response.status(), 422);
    let body: Value = response.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_post");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["text", "images[0].alt", "hashtags[0]", "channels"]);

    // Too long for Bluesky (300 graphemes) but fine for Mastodon: refused at scheduling, with
    // the channel's path; accents and emoji count as one grapheme each.
    let id = create_post(&s, &"é📚".repeat(160));
    let response = s.app.post_json_as_admin(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": "2030-01-01T10:00"}),
    );
    assert_eq!(response.status(), 422);
    let body: Value = response.json().unwrap();
    let fields = body["error"]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .all(|f| f["field"].as_str().unwrap().starts_with("channels[1].")),
        "{body}"
    );
    assert_eq!(get_post(&s.app, &id)["state"], "draft");
    // A version for Bluesky fixes it.
    let edited = s.app.admin(
        reqwest::Method::PUT,
        &format!("/api/posts/{id}"),
        Some(
            &json!({"text": "é📚".repeat(160), "channels": [s.masto_id, s.bsky_id],
                     "versions": {s.bsky_id.clone(): {"text": "Version courte 📚"}}, "version": 1}),
        ),
    );
    assert_eq!(edited.status(), 200);
    let scheduled = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{id}/schedule"),
        &json!({"at": "2030-01-01T10:00"}),
    );
    assert_eq!(scheduled["state"], "scheduled");
    // A stale version is a conflict.
    let stale = s.app.admin(
        reqwest::Method::PUT,
        &format!("/api/posts/{id}"),
        Some(&json!({"text": "x", "channels": [s.masto_id], "version": 1})),
    );
    assert_eq!(stale.status(), 409);
    // Cancelled posts stay cancelled.
    let cancelled = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/cancel"), &json!({}));
    assert_eq!(cancelled["state"], "cancelled");
    let again = s
        .app
        .post_json_as_admin(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(again.status(), 409);
}

#[test]
fn csv_import_refuses_bad_rows_and_export_is_formula_safe() {
    let s = setup(&[]);
    let csv = format!(
        "channels,at,zone,text,hashtags,image_url,image_alt\n\
         {m} {b},2030-05-05T10:00,Europe/Paris,\"Exposition « Regards », vernissage\",expo photo,,\n\
         {m},2030-05-06T10:00,,,,,\n\
         nope,2001-01-01T10:00,,Trop tard,,https://img.example/a.jpg,\n\
         {m},,,=HYPERLINK(\"https://evil.example\"),,,\n",
        m = s.masto_id,
        b = s.bsky_id
    );
    let report = s
        .app
        .post_json_as_admin_ok("/api/posts/import", &json!({"csv": csv}));
    let imported: Vec<(u64, &str)> = report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["state"].as_str().unwrap()))
        .collect();
    assert_eq!(imported, [(2, "scheduled"), (5, "draft")], "{report}");
    let refused: Vec<u64> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(refused, [3, 4], "{report}");
    assert_eq!(report["refused"][0]["errors"][0]["field"], "text");

    let list = s.app.get_json_as_admin("/api/posts");
    assert_eq!(list["posts"].as_array().unwrap().len(), 2);
    let scheduled = s.app.get_json_as_admin("/api/posts?state=scheduled");
    assert_eq!(scheduled["posts"].as_array().unwrap().len(), 1);
    let ranged = s
        .app
        .get_json_as_admin("/api/posts?from=2030-05-01&to=2030-05-31");
    assert_eq!(
        ranged["posts"][0]["content"]["text"],
        "Exposition « Regards », vernissage"
    );

    let export = s
        .app
        .admin(reqwest::Method::GET, "/api/posts/export.csv", None);
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = export.text().unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(\"\"https://evil.example\"\")\""),
        "{text}"
    );
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    assert!(
        text.contains("\"Exposition « Regards », vernissage\""),
        "{text}"
    );

    // JSON only, admin only.
    let as_csv = s
        .app
        .client
        .post(s.app.url("/api/posts/import"))
        .bearer_auth(&s.app.admin_token)
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .unwrap();
    assert_eq!(as_csv.status(), 415);
    let anonymous = s.app.post_json("/api/posts/import", &json!({"csv": csv}));
    assert_eq!(anonymous.status(), 401);
}

#[test]
fn the_tick_has_its_own_token_and_no_answer_holds_a_secret() {
    let s = setup(&[]);
    let unauthenticated = s
        .app
        .client
        .post(s.app.url("/api/scheduler/tick"))
        .send()
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let with_admin = s
        .app
        .client
        .post(s.app.url("/api/scheduler/tick"))
        .bearer_auth(&s.app.admin_token)
        .send()
        .unwrap();
    assert_eq!(
        with_admin.status(),
        401,
        "the admin token is not the cron's"
    );
    // Crons that cannot set headers (`spin aka crons`) give the token in the query.
    let by_query = s
        .app
        .get(&format!("/api/scheduler/tick?token={TICK_TOKEN}"));
    assert_eq!(by_query.status(), 200);
    let wrong = s.app.get("/api/scheduler/tick?token=guess");
    assert_eq!(wrong.status(), 401);
    let id = create_post(&s, "Heure du conte mercredi");
    let mut answers = vec![
        serde_json::to_string(&s.app.tick(TICK_TOKEN)).unwrap(),
        serde_json::to_string(&get_post(&s.app, &id)).unwrap(),
        serde_json::to_string(
            &s.app
                .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({})),
        )
        .unwrap(),
        serde_json::to_string(&s.app.get_json_as_admin("/api/posts")).unwrap(),
        serde_json::to_string(&s.app.get_json_as_admin("/api/channels")).unwrap(),
    ];
    answers.push(
        s.app
            .admin(reqwest::Method::GET, "/api/posts/export.csv", None)
            .text()
            .unwrap(),
    );
    for answer in &answers {
        for secret in [
            TICK_TOKEN,
            MASTODON_TOKEN,
            BLUESKY_PASSWORD,
            tests::TEST_CREDENTIALS_KEY,
        ] {
            assert!(!answer.contains(secret), "{answer}");
        }
    }
    no_problems(&s);
}

#[test]
fn next_free_slot_uses_the_channels_weekly_slots() {
    let s = setup(&[]);
    let slots = s.app.admin(
        reqwest::Method::PUT,
        &format!("/api/posts/slots/{}", s.masto_id),
        Some(&json!({"slots": [{"day": "tue", "time": "10:00"}, {"day": "thu", "time": "10:00"}]})),
    );
    assert_eq!(slots.status(), 200);
    let a = create_post(&s, "Premier");
    let b = create_post(&s, "Second");
    let first = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{a}/schedule"),
        &json!({"next_free_slot": true}),
    );
    let second = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{b}/schedule"),
        &json!({"next_free_slot": true}),
    );
    let (l1, l2) = (
        first["schedule"]["local"].as_str().unwrap().to_owned(),
        second["schedule"]["local"].as_str().unwrap().to_owned(),
    );
    assert!(
        l1.ends_with("T10:00") && l2.ends_with("T10:00"),
        "{l1} {l2}"
    );
    assert!(l1 < l2, "the second post takes the next slot: {l1} {l2}");
}

#[test]
fn an_editors_post_waits_for_an_administrators_approval() {
    use reqwest::Method;
    use tests::StaffBrowser;
    let s = setup(&[]);
    let password = "une longue phrase de passe";
    s.app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": "anne@bib.example", "name": "Anne", "role": "editor", "password": password}),
    );
    let anne = StaffBrowser::sign_in(&s.app, "anne@bib.example", password);
    let created = anne.send(
        &s.app,
        Method::POST,
        "/api/posts",
        &json!({"text": "Rencontre avec l'autrice samedi", "channels": [s.masto_id]}),
    );
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let due = s.app.next_minute() as u64 + 3600;
    let asked = json!({"at": utc_local(due), "zone": "UTC"});
    let schedule_path = format!("/api/posts/{id}/schedule");

    let waiting: Value = anne
        .send(&s.app, Method::POST, &schedule_path, &asked)
        .json()
        .unwrap();
    assert_eq!(waiting["state"], "awaiting_approval", "{waiting}");
    assert_eq!(waiting["submitted_by"], "Anne");
    let queue = s
        .app
        .get_json_as_admin("/api/posts?state=awaiting_approval");
    assert_eq!(queue["posts"][0]["id"], id.as_str());
    // An editor cannot approve their own post.
    let self_approval = anne.send(
        &s.app,
        Method::POST,
        &format!("/api/posts/{id}/approve"),
        &json!({}),
    );
    assert_eq!(self_approval.status(), 403);

    let back = s.app.post_json_as_admin_ok(
        &format!("/api/posts/{id}/send-back"),
        &json!({"comment": "Précise l'heure de la rencontre"}),
    );
    assert_eq!(back["state"], "draft");
    assert_eq!(back["review"]["comment"], "Précise l'heure de la rencontre");
    assert_eq!(back["review"]["by"], "admin_token");

    anne.send(&s.app, Method::POST, &schedule_path, &asked);
    let approved = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/approve"), &json!({}));
    assert_eq!(approved["state"], "scheduled", "{approved}");
    assert_eq!(approved["schedule"]["local"], utc_local(due));

    // The administrator turns approval off for the channel: the editor schedules directly.
    let channel = s.app.admin(
        Method::PUT,
        &format!("/api/channels/{}", s.masto_id),
        Some(&json!({"approval_required": false})),
    );
    assert_eq!(channel.status(), 200);
    assert_eq!(channel.json::<Value>().unwrap()["approval_required"], false);
    let unscheduled = anne.send(
        &s.app,
        Method::POST,
        &format!("/api/posts/{id}/unschedule"),
        &json!({}),
    );
    assert_eq!(unscheduled.status(), 200);
    let direct: Value = anne
        .send(&s.app, Method::POST, &schedule_path, &asked)
        .json()
        .unwrap();
    assert_eq!(direct["state"], "scheduled", "{direct}");
    // Editors cannot change the setting themselves.
    let toggled = anne.send(
        &s.app,
        Method::PUT,
        &format!("/api/channels/{}", s.masto_id),
        &json!({"approval_required": true}),
    );
    assert_eq!(toggled.status(), 403);
}

/// A photo of the media library goes to Mastodon and Bluesky from the store: no outside
/// download (`image_host` is not set), each network receives it once, as the `social`
/// rendition, without the phone's metadata and under Bluesky's 1,000,000 bytes.
#[test]
fn a_library_photo_is_published_to_both_networks_without_its_metadata() {
    use tests::images::{PHOTO_SECRET, phone_photo, upload};
    let s = setup(&[]);
    // A large phone photo: the original (several MB) would be over Bluesky's limit.
    let photo = phone_photo(2400, 1800);
    assert!(photo.len() > 1_000_000, "{} bytes", photo.len());
    let (status, uploaded) = upload(&s.app, "vernissage.jpg", &photo, json!({}));
    assert_eq!(status, 201, "{uploaded}");
    let medium = uploaded["medium"]["id"].as_str().unwrap().to_owned();

    let post = s.app.post_json_as_admin(
        "/api/posts",
        &json!({"text": "Vernissage ce soir à la médiathèque", "language": "fr",
                "channels": [s.masto_id, s.bsky_id],
                "images": [{"medium": medium, "alt": "Le public devant les gravures"}]}),
    );
    assert_eq!(post.status(), 201);
    let id = post.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = s
        .app
        .post_json_as_admin_ok(&format!("/api/posts/{id}/publish"), &json!({}));
    assert_eq!(published["state"], "published", "{published}");
    assert_eq!(published["content"]["images"][0]["medium"], json!(medium));

    let sent = |requests: Vec<tests::fakes::FakeRequest>, path: &str| -> Vec<Vec<u8>> {
        requests
            .into_iter()
            .filter(|r| r.path() == path)
            .map(|r| r.body)
            .collect()
    };
    let contains = |body: &[u8], needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    let to_mastodon = sent(s.mastodon.requests(), "/api/v2/media");
    assert_eq!(to_mastodon.len(), 1, "once");
    assert!(contains(&to_mastodon[0], b"\xFF\xD8\xFF"), "a JPEG");
    assert!(!contains(&to_mastodon[0], PHOTO_SECRET), "no metadata");
    assert!(!contains(&to_mastodon[0], b"Exif"), "no EXIF");
    assert!(contains(
        &to_mastodon[0],
        "Le public devant les gravures".as_bytes()
    ));
    let to_bluesky = sent(s.bluesky.requests(), "/xrpc/com.atproto.repo.uploadBlob");
    assert_eq!(to_bluesky.len(), 1, "once");
    let blob = &to_bluesky[0];
    assert!(
        blob.starts_with(b"\xFF\xD8\xFF") && blob.len() < 1_000_000,
        "{}",
        blob.len()
    );
    assert!(!contains(blob, PHOTO_SECRET) && !contains(blob, b"Exif"));
    let record = &s.bluesky.records()[0].1;
    assert_eq!(
        record["embed"]["images"][0]["alt"],
        "Le public devant les gravures"
    );
    no_problems(&s);

    // A post naming a medium that is not an id is refused with its field.
    let bad = s.app.post_json_as_admin(
        "/api/posts",
        &json!({"text": "x", "channels": [s.masto_id],
                "images": [{"medium": "../etc", "alt": "x"}]}),
    );
    assert_eq!(bad.status(), 422);
    let bad: Value = bad.json().unwrap();
    assert_eq!(bad["fields"][0]["field"], "images[0].medium", "{bad}");
}
