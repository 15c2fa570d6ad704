//! Several instances, one store: two dev-host processes on one Redis (Spin's Redis store
//! through a runtime config, `kv_redis_url` for the atomics), each new connection handed to
//! the next instance, or a request sent to one instance on purpose. What a multi-node
//! deployment must keep exact: votes, double votes, a webhook delivered to both, publishing
//! from both, sessions across instances, concurrent edits, and an instance killed mid-burst.
//!
//! These tests always start their own cluster (they need `redis-server`,
//! `scripts/install-redis.sh`); `cargo xtask test` runs them in its Redis pass.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::header::COOKIE;
use serde_json::{Value, json};
use tests::fakes::FakeMastodon;
use tests::fakes::hmac_sha256;
use tests::fakes::tags::mastodon_status;
use tests::time::{utc_day, utc_minute};
use tests::{StaffBrowser, TEST_ADMIN_TOKEN, TestApp, fakes_variables, workspace_root};

const TICK_TOKEN: &str = "tick-token-for-the-cluster-0123456789";
const MASTODON_SECRET: &str = "mastodon-webhook-secret-cluster";
const MASTODON_TOKEN: &str = "mastodon-access-token-cluster";

/// Runs `request(i)` for `i` in `0..n`, all at once, and returns the answers in order.
fn at_once<T: Send>(n: usize, request: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let request = &request;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n).map(|i| scope.spawn(move || request(i))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Of requests sent at once for one thing, exactly one got `won`, every other a 409.
fn exactly_one_wins(statuses: &[u16], won: u16) {
    assert_eq!(
        statuses.iter().filter(|&&s| s == won).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == won || s == 409),
        "{statuses:?}"
    );
}

fn cluster(extra: &[(&str, &str)]) -> TestApp {
    TestApp::spawn_cluster(
        &workspace_root().join("spin.toml"),
        fakes_variables(extra),
        2,
    )
}

fn instance(app: &TestApp, i: usize) -> String {
    app.cluster.as_ref().expect("a cluster").instance_url(i)
}

fn voter(n: usize) -> String {
    format!("kiosque_voter=cluster-voter-{n:016}")
}

fn new_poll(app: &TestApp, options: &[&str]) -> String {
    let poll = app.post_json_as_admin_ok(
        "/api/polls",
        &json!({"question": "Votre rendez-vous préféré ?", "options": options}),
    );
    poll["id"].as_str().expect("a poll id").to_owned()
}

/// One vote through the round robin: the status, or `None` when the connection was cut.
fn vote(app: &TestApp, id: &str, option: usize, cookie: &str) -> Option<u16> {
    app.client
        .post(app.url(&format!("/api/polls/{id}/votes")))
        .header(COOKIE, cookie)
        .json(&json!({ "option": option }))
        .send()
        .ok()
        .map(|r| r.status().as_u16())
}

fn results(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/polls/{id}/results"))
        .json()
        .expect("results")
}

#[test]
fn votes_through_both_instances_are_counted_exactly_once() {
    let app = cluster(&[("rate_limit_votes", "0/0")]);
    let id = new_poll(&app, &["Matin", "Midi", "Soir", "Nuit"]);
    const VOTES: usize = 240;
    const CLIENTS: usize = 16;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (app, id) = (&app, &id);
            scope.spawn(move || {
                for n in (client..VOTES).step_by(CLIENTS) {
                    assert_eq!(vote(app, id, n % 4, &voter(n)), Some(201), "vote {n}");
                }
            });
        }
    });
    let tally = results(&app, &id);
    assert_eq!(tally["total"], VOTES, "{tally}");
    for option in 0..4 {
        assert_eq!(tally["options"][option]["votes"], VOTES / 4, "{tally}");
    }
    // Both instances took their share of the votes.
    let served = app.cluster.as_ref().unwrap().connections_served();
    assert!(served.iter().all(|&n| n >= VOTES / 4), "{served:?}");

    // One browser submitting eight times at once, half to each instance: counted once.
    let cookie = voter(VOTES + 1);
    let statuses: Vec<u16> = at_once(8, |i| {
        app.client
            .post(format!("{}/api/polls/{id}/votes", instance(&app, i % 2)))
            .header(COOKIE, &cookie)
            .json(&json!({"option": 2}))
            .send()
            .expect("an answer")
            .status()
            .as_u16()
    });
    exactly_one_wins(&statuses, 201);
    assert_eq!(results(&app, &id)["total"], VOTES + 1);
}

#[test]
fn killing_an_instance_mid_burst_loses_no_acknowledged_vote() {
    let app = cluster(&[("rate_limit_votes", "0/0")]);
    let id = new_poll(&app, &["Oui", "Non"]);
    const VOTERS: usize = 400;
    const CLIENTS: usize = 16;
    let done = AtomicUsize::new(0);
    // Each voter's first answer: Some(status), or None when the kill cut the connection.
    let first: Vec<(usize, Option<u16>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let (app, id, done) = (&app, &id, &done);
                scope.spawn(move || {
                    (client..VOTERS)
                        .step_by(CLIENTS)
                        .map(|n| {
                            let status = vote(app, id, n % 2, &voter(n));
                            done.fetch_add(1, Ordering::Relaxed);
                            (n, status)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // SIGKILL the second instance once a quarter of the votes are in.
        while done.load(Ordering::Relaxed) < VOTERS / 4 {
            std::thread::yield_now();
        }
        app.cluster.as_ref().unwrap().kill(1);
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let acknowledged = first.iter().filter(|(_, s)| *s == Some(201)).count();
    assert!(
        first.iter().all(|(_, s)| matches!(s, None | Some(201))),
        "only cut connections may fail: {:?}",
        first
            .iter()
            .filter(|(_, s)| !matches!(s, None | Some(201)))
            .collect::<Vec<_>>()
    );
    // The survivor answers every retry of an interrupted vote.
    let (mut retried_counted, mut in_doubt) = (0, 0);
    for (n, _) in first.iter().filter(|(_, s)| s.is_none()) {
        match vote(&app, &id, n % 2, &voter(*n)) {
            Some(201) => retried_counted += 1,
            // Already voted: the cut request was counted, or died between its claim and its
            // count (no store transaction can say which from outside).
            Some(409) => in_doubt += 1,
            other => panic!("the surviving instance must answer: {other:?}"),
        }
    }
    let total = results(&app, &id)["total"].as_u64().unwrap() as usize;
    eprintln!(
        "kill mid-burst: {acknowledged} acknowledged, {retried_counted} counted on retry, {in_doubt} in doubt, total {total}"
    );
    // Nothing acknowledged is lost, nothing is counted twice.
    assert!(total >= acknowledged + retried_counted, "{total}");
    assert!(
        total <= acknowledged + retried_counted + in_doubt,
        "{total}"
    );
    assert!(total <= VOTERS);
}

fn hub(secret: &str, body: &[u8]) -> String {
    let mac = hmac_sha256(secret.as_bytes(), body);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[test]
fn a_webhook_delivered_to_both_instances_at_once_is_filed_once() {
    let app = cluster(&[("mastodon_webhook_secret", MASTODON_SECRET)]);
    let campaign = app.post_json_as_admin_ok(
        "/api/campaigns",
        &json!({"name": "Partir en livre", "slug": "partir-en-livre",
                "description": "Lisez dehors.", "starts_on": utc_day(-1),
                "ends_on": utc_day(30), "hashtags": ["PartirEnLivre"]}),
    );
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let body = serde_json::to_vec(&json!({
        "event": "status.created",
        "created_at": "2027-07-01T08:00:01.000Z",
        "object": mastodon_status(7001, "PartirEnLivre", "Au parc", "ana@social.example"),
    }))
    .unwrap();
    let signature = hub(MASTODON_SECRET, &body);
    let outcomes: Vec<(u16, Value)> = at_once(8, |i| {
        let response = app
            .client
            .post(format!("{}/webhooks/mastodon", instance(&app, i % 2)))
            .header("content-type", "application/json")
            .header("x-hub-signature", &signature)
            .body(body.clone())
            .send()
            .expect("an answer");
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    });
    let accepted = outcomes
        .iter()
        .filter(|(s, v)| *s == 200 && v["status"] == "accepted")
        .count();
    assert_eq!(accepted, 1, "{outcomes:?}");
    // The others are replays, or 409 `busy` while the post is being filed by another request
    // (a platform retries those later: a delivery is never taken for done before it is).
    assert!(
        outcomes.iter().all(|(s, v)| match *s {
            200 => v["status"] == "replay" || v["status"] == "accepted",
            409 => v["error"]["code"] == "busy",
            _ => false,
        }),
        "{outcomes:?}"
    );
    let retried = app
        .client
        .post(format!("{}/webhooks/mastodon", instance(&app, 1)))
        .header("content-type", "application/json")
        .header("x-hub-signature", &signature)
        .body(body.clone())
        .send()
        .expect("an answer");
    assert_eq!(retried.status().as_u16(), 200);
    assert_eq!(retried.json::<Value>().unwrap()["status"], "replay");
    let queue = app.get_json_as_admin(&format!(
        "/api/campaigns/{campaign_id}/queue?status=pending"
    ));
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(1), "{queue}");
}

#[test]
fn publishing_from_both_instances_sends_each_post_once() {
    let app = cluster(&[("scheduler_tick_token", TICK_TOKEN)]);
    let mastodon = FakeMastodon::start(MASTODON_TOKEN, 500);
    let channel_id = tests::channels::mastodon(&app, &mastodon, MASTODON_TOKEN);
    let create = |text: &str| {
        let post = app.post_json_as_admin_ok(
            "/api/posts",
            &json!({"text": text, "language": "fr", "channels": [channel_id]}),
        );
        post["id"].as_str().unwrap().to_owned()
    };
    // Three posts published "now" from both instances at once, while both tick.
    let now_posts: Vec<String> = (0..3)
        .map(|i| create(&format!("Tout de suite {i}")))
        .collect();
    // One post scheduled for the next minute, then ticked from both at once.
    let scheduled = create("À l'heure");
    let due = app.next_minute();
    let post = app.post_json_as_admin_ok(
        &format!("/api/posts/{scheduled}/schedule"),
        &json!({"at": utc_minute(due), "zone": "UTC"}),
    );
    assert_eq!(post["state"], "scheduled", "{post}");

    let admin = |i: usize, path: &str| {
        app.client
            .post(format!("{}{path}", instance(&app, i)))
            .bearer_auth(TEST_ADMIN_TOKEN)
            .json(&json!({}))
            .send()
            .expect("an answer")
            .status()
            .as_u16()
    };
    let tick = |i: usize| {
        app.client
            .post(format!("{}/api/scheduler/tick", instance(&app, i)))
            .bearer_auth(TICK_TOKEN)
            .send()
            .expect("an answer")
            .status()
            .as_u16()
    };
    std::thread::scope(|scope| {
        for id in &now_posts {
            for i in 0..2 {
                let admin = &admin;
                scope.spawn(move || {
                    let status = admin(i, &format!("/api/posts/{id}/publish"));
                    // The loser of the claim is told the post is already being published.
                    assert!(matches!(status, 200 | 409), "{status}");
                });
            }
        }
        for i in 0..2 {
            let tick = &tick;
            scope.spawn(move || assert_eq!(tick(i), 200));
        }
    });
    app.advance_clock_to(due);
    std::thread::scope(|scope| {
        for i in [0, 1, 0, 1] {
            let tick = &tick;
            scope.spawn(move || assert_eq!(tick(i), 200));
        }
    });
    let texts: Vec<String> = mastodon
        .statuses()
        .iter()
        .map(|s| s.body["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    for expected in [
        "Tout de suite 0",
        "Tout de suite 1",
        "Tout de suite 2",
        "À l'heure",
    ] {
        assert_eq!(
            texts.iter().filter(|t| t.starts_with(expected)).count(),
            1,
            "{expected}: {texts:?}"
        );
    }
    for id in now_posts.iter().chain([&scheduled]) {
        let post = app.get_json_as_admin(&format!("/api/posts/{id}"));
        assert_eq!(post["state"], "published", "{post}");
    }
    assert_eq!(mastodon.problems(), Vec::<String>::new());
}

#[test]
fn a_session_opened_on_one_instance_works_on_the_other() {
    let app = cluster(&[]);
    let created = app
        .client
        .post(format!("{}/api/staff/accounts", instance(&app, 0)))
        .bearer_auth(TEST_ADMIN_TOKEN)
        .json(&json!({"email": "lea@mediatheque.example", "name": "Léa",
                      "role": "editor", "password": "une phrase assez longue"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 201);
    let browser = StaffBrowser::sign_in(&app, "lea@mediatheque.example", "une phrase assez longue");
    for i in [0, 1] {
        let me = app
            .client
            .get(format!("{}/api/staff/me", instance(&app, i)))
            .header(COOKIE, &browser.cookie)
            .send()
            .unwrap();
        assert_eq!(me.status(), 200, "instance {i}");
    }
    // A change on instance 1 with the session and CSRF token from wherever it was opened.
    let draft = app
        .client
        .post(format!("{}/api/posts", instance(&app, 1)))
        .header(COOKIE, &browser.cookie)
        .header("x-csrf-token", &browser.csrf)
        .header("origin", instance(&app, 1))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({"text": "Brouillon partagé", "language": "fr", "channels": []}))
        .send()
        .unwrap();
    // A post without channels is refused by validation (422), which only a request whose
    // session and CSRF token were accepted reaches (401 or 403 otherwise).
    assert_eq!(draft.status(), 422);
    // Signing out on instance 0 ends the session on instance 1 too.
    let out = app
        .client
        .post(format!("{}/api/staff/sign-out", instance(&app, 0)))
        .header(COOKIE, &browser.cookie)
        .header("x-csrf-token", &browser.csrf)
        .header("origin", instance(&app, 0))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .unwrap();
    assert!(out.status().is_success(), "{}", out.status());
    let me = app
        .client
        .get(format!("{}/api/staff/me", instance(&app, 1)))
        .header(COOKIE, &browser.cookie)
        .send()
        .unwrap();
    assert_eq!(me.status(), 401);
}

fn tutorial(title: &str, version: Option<u64>) -> Value {
    let mut body = json!({
        "slug": "reserver-une-salle",
        "title": title,
        "summary": "Réserver une salle de travail.",
        "audience": "Tout public",
        "level": "beginner",
        "estimated_minutes": 5,
        "service": {"name": "Réservations", "url": "https://reservations.bib.example"},
        "tags": ["Salles"],
        "steps": [{"title": "Choisir", "text": "Choisissez un créneau."}],
    });
    if let Some(version) = version {
        body["if_version"] = json!(version);
    }
    body
}

#[test]
fn concurrent_edits_from_both_instances_lose_no_update() {
    let app = cluster(&[]);
    // The same new tutorial created from both instances at once: exactly one creates it.
    let statuses: Vec<u16> = at_once(4, |i| {
        app.client
            .post(format!("{}/api/tutorials", instance(&app, i % 2)))
            .bearer_auth(TEST_ADMIN_TOKEN)
            .json(&tutorial(&format!("Réserver {i}"), None))
            .send()
            .unwrap()
            .status()
            .as_u16()
    });
    exactly_one_wins(&statuses, 201);
    // Edits of version n from both instances at once: one saves n + 1, the other is stale.
    let mut version = 1;
    for round in 0..5 {
        let answers: Vec<(u16, Value)> = at_once(2, |i| {
            let response = app
                .client
                .put(format!(
                    "{}/api/tutorials/reserver-une-salle",
                    instance(&app, i)
                ))
                .bearer_auth(TEST_ADMIN_TOKEN)
                .json(&tutorial(&format!("Titre {round} par {i}"), Some(version)))
                .send()
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json().unwrap_or(Value::Null))
        });
        let winners: Vec<_> = answers.iter().filter(|(s, _)| *s == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        let loser = answers.iter().find(|(s, _)| *s != 200).unwrap();
        assert_eq!(loser.0, 409, "{answers:?}");
        assert_eq!(loser.1["error"]["code"], "stale_version");
        version += 1;
        let stored = app.get_json_as_admin("/api/tutorials/reserver-une-salle");
        assert_eq!(stored["version"], version, "{stored}");
        assert_eq!(stored["title"], winners[0].1["title"], "{stored}");
    }
}

#[test]
fn every_page_answers_without_a_server_error_on_redis() {
    let app = cluster(&[]);
    let id = new_poll(&app, &["Oui", "Non"]);
    let mut statuses = BTreeMap::new();
    for path in [
        "/".to_string(),
        "/events".to_string(),
        "/showcases".to_string(),
        "/tutorials".to_string(),
        "/feeds/events.ics".to_string(),
        "/feeds/events.rss".to_string(),
        "/feeds/events.atom".to_string(),
        "/feeds/showcases.rss".to_string(),
        format!("/polls/{id}"),
        format!("/api/polls/{id}/results"),
        "/static/css/kiosque.css".to_string(),
        "/admin/sign-in.html".to_string(),
    ] {
        for _ in 0..2 {
            let status = app.get(&path).status().as_u16();
            statuses.insert(path.clone(), status);
            assert!(status < 500, "{path}: {status}");
        }
    }
    assert_eq!(statuses["/"], 200, "{statuses:?}");
    assert_eq!(statuses["/events"], 200, "{statuses:?}");
}

#[test]
fn on_redis_without_kv_redis_url_every_swap_is_refused_before_it_writes() {
    // The operator pointed the store at Redis but forgot `kv_redis_url`: Spin's Redis store
    // then reports every compare-and-swap as failed although it wrote.
    let redis = tests::redis::RedisServer::start();
    let folder = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_manifest_with_runtime_config(
        &workspace_root().join("spin.toml"),
        BTreeMap::from([("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string())]),
        Some(redis.runtime_config(folder.path())),
    );
    // Pages only read: they work (their batch reads fail on Spin's get-many and fall back to
    // one read per key).
    assert_eq!(app.get("/").status(), 200);
    assert_eq!(app.get("/events").status(), 200);
    // A creation needs a swap, which Spin would report failed although it wrote: refused
    // before swapping, with an internal error (the log names kv_redis_url), not a false
    // "already exists" nor a retry that would write again.
    for _ in 0..2 {
        let response = app.post_json_as_admin(
            "/api/polls",
            &json!({"question": "Sans kv_redis_url ?", "options": ["Oui", "Non"]}),
        );
        assert_eq!(response.status(), 500);
        let body: Value = response.json().unwrap();
        assert_eq!(body["error"]["code"], "internal_error", "{body}");
    }
    // The check writes nothing.
    assert_eq!(redis.get("store/probe/0"), None);
}
