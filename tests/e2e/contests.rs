//! Contests end to end: create, enter, moderate, gallery, RGPD export/erase and purge,
//! voting (one per category, rate-limited), winners, results, closing, the staff list.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp, time};

fn app() -> TestApp {
    app_with(&[])
}

/// The real app with the contact hash key set, no submission limit, and `extra` variables.
fn app_with(extra: &[(&str, &str)]) -> TestApp {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return TestApp::spawn();
    }
    let mut variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        ("rate_limit_submissions".to_string(), "0/0".to_string()),
        (
            "card_hash_key".to_string(),
            "e2e-contact-secret".to_string(),
        ),
    ]);
    for (k, v) in extra {
        variables.insert(k.to_string(), v.to_string());
    }
    TestApp::spawn_with_variables(variables)
}

fn new_contest(app: &TestApp) -> String {
    let response = app.post_json_as_admin("/api/contests", &json!({
        "title": "Concours de nouvelles",
        "rules": "# Règles\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        "categories": [{"slug": "enfants", "name": "Enfants"}, {"slug": "adultes", "name": "Adultes"}],
        "submissions_open": "2020-01-01T00:00:00Z",
        "submissions_close": "2099-01-01T00:00:00Z",
        "jury": true,
        "prize": "Un livre dédicacé",
    }));
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    assert!(!body["rules_html"].as_str().unwrap().contains("javascript"));
    body["id"].as_str().unwrap().to_string()
}

fn entry(email: &str, n: usize) -> Value {
    json!({"title": format!("Nouvelle {n}"), "text": "Il était une fois…", "display_name": "Léa",
           "category": "enfants", "consent": true, "licence": "cc-by", "email": email})
}

#[test]
fn entries_are_moderated_shown_exported_and_erased() {
    let app = app();
    let id = new_contest(&app);
    std::thread::scope(|s| {
        for n in 0..12 {
            let (app, id) = (&app, &id);
            s.spawn(move || {
                let email = if n % 2 == 0 {
                    "lea@exemple.fr"
                } else {
                    "tom@exemple.fr"
                };
                assert_eq!(
                    app.post_json(&format!("/api/contests/{id}/entries"), &entry(email, n))
                        .status(),
                    202
                );
            });
        }
    });
    let queue: Value = app
        .client
        .get(app.url(&format!("/api/contests/{id}/queue")))
        .bearer_auth(&app.admin_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(queue["submitted"], 12);
    assert!(queue["entries"][0]["email"].is_string());
    assert_eq!(
        app.post_json_as_admin(
            &format!("/api/contests/{id}/entries/1/moderation"),
            &json!({"decision": "approve"})
        )
        .status(),
        200
    );
    let gallery: Value = app
        .get(&format!("/api/contests/{id}/entries?category=enfants"))
        .json()
        .unwrap();
    assert_eq!(gallery["entries"].as_array().unwrap().len(), 1);
    assert!(
        gallery["entries"][0].get("email").is_none(),
        "emails never public"
    );
    let page = app.get(&format!("/contests/{id}")).text().unwrap();
    assert!(!page.contains("exemple.fr"));
    assert!(page.contains("creativecommons.org/licenses/by/4.0/"));

    let export: Value = app
        .post_json_as_admin(
            "/api/contests/participants/export",
            &json!({"email": "LEA@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(export["entries"].as_array().unwrap().len(), 6);
    assert_eq!(export["more"], false, "{export}");
    let erased: Value = app
        .post_json_as_admin(
            "/api/contests/participants/erase",
            &json!({"email": "lea@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(erased["erased_entries"], 6);
    assert_eq!(erased["more"], false);
    let export: Value = app
        .post_json_as_admin(
            "/api/contests/participants/export",
            &json!({"email": "lea@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(export["entries"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.post_json(
            "/api/contests/participants/export",
            &json!({"email": "x@y.fr"})
        )
        .status(),
        401
    );

    // The staff list finds the contest, newest first; closing ends submissions now.
    let list = app.get_json_as_admin("/api/contests?per_page=5");
    assert_eq!(list["contests"][0]["id"], id.as_str());
    assert_eq!(app.get("/api/contests").status(), 401);
    let closed = app.post_json_as_admin(&format!("/api/contests/{id}/close"), &json!({}));
    assert_eq!(closed.status(), 200);
    assert_eq!(
        app.post_json(&format!("/api/contests/{id}/entries"), &entry("a@b.fr", 99))
            .status(),
        409
    );
}

#[test]
fn contacts_are_purged_once_a_closed_contest_is_past_retention() {
    let app = app_with(&[("contest_contact_retention_days", "0")]);
    if app.is_external() {
        return;
    }
    let id = new_contest(&app);
    for n in 0..3 {
        let r = app.post_json(
            &format!("/api/contests/{id}/entries"),
            &entry(&format!("p{n}@exemple.fr"), n),
        );
        assert_eq!(r.status(), 202);
    }
    // Still running: nothing is due.
    let purge: Value = app
        .post_json_as_admin("/api/contests/purge", &json!({}))
        .json()
        .unwrap();
    assert_eq!(purge["erased"], 0);
    let closed = app.post_json_as_admin(&format!("/api/contests/{id}/close"), &json!({}));
    assert_eq!(closed.status(), 200, "{:?}", closed.text());
    let mut erased = 0;
    for _ in 0..10 {
        let purge: Value = app
            .post_json_as_admin("/api/contests/purge", &json!({}))
            .json()
            .unwrap();
        erased += purge["erased"].as_u64().unwrap();
        if purge["more"] == false {
            break;
        }
    }
    assert_eq!(erased, 3);
    let queue = app.get_json_as_admin(&format!("/api/contests/{id}/queue"));
    assert!(
        queue["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["email"].is_null())
    );
    let export: Value = app
        .post_json_as_admin(
            "/api/contests/participants/export",
            &json!({"email": "p0@exemple.fr"}),
        )
        .json()
        .unwrap();
    // The address is erased, but a participant can still have their published entry found
    // (through the keyed hash of the address) and erased on request.
    assert_eq!(export["entries"].as_array().unwrap().len(), 1);
    let erase: Value = app
        .post_json_as_admin(
            "/api/contests/participants/erase",
            &json!({"email": "p0@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(erase["erased_entries"], 1, "{erase}");
    let export: Value = app
        .post_json_as_admin(
            "/api/contests/participants/export",
            &json!({"email": "p0@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(export["entries"].as_array().unwrap().len(), 0);
}

#[test]
fn contests_need_the_contact_hash_key() {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return;
    }
    let variables = BTreeMap::from([("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string())]);
    let app = TestApp::spawn_with_variables(variables);
    let response = app.post_json_as_admin(
        "/api/contests",
        &json!({
            "title": "x", "categories": [{"slug": "a", "name": "A"}],
            "submissions_open": "2020-01-01T00:00:00Z", "submissions_close": "2099-01-01T00:00:00Z",
            "jury": true,
        }),
    );
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().unwrap()["error"]["code"],
        "contact_hash_key_missing"
    );
}

#[test]
fn the_entry_form_keeps_values_and_ties_errors_to_fields() {
    let app = app();
    let id = new_contest(&app);
    let refused = app.post_form_with_cookie(
        &format!("/contests/{id}/enter"),
        "title=%3Cb%3E%C3%89t%C3%A9%3C%2Fb%3E&display_name=L%C3%A9a&category=adultes&licence=cc-by&email=lea%40exemple.fr&consent=yes",
        None,
    );
    assert_eq!(refused.status(), 400);
    let page = refused.text().unwrap();
    assert!(
        page.contains("value=\"&lt;b&gt;Été&lt;/b&gt;\""),
        "typed title kept, escaped"
    );
    assert!(page.contains("<option value=\"adultes\" selected"));
    assert!(page.contains("aria-describedby=\"text-or-link text-error\" aria-invalid=\"true\""));
    assert!(
        page.contains("<a href=\"#text\">"),
        "the summary links to the field"
    );
    assert!(page.contains("Donnez un texte, un lien vers votre création, ou les deux."));
    let english = app.post_form_with_cookie(
        &format!("/contests/{id}/enter?lang=en"),
        "title=T&text=x&display_name=L&category=adultes&licence=cc-by&email=bad",
        None,
    );
    let page = english.text().unwrap();
    assert!(page.contains("Give a valid email address"));
    assert!(page.contains("<h1 lang=\"fr\">Concours de nouvelles</h1>"));
    // Bidirectional controls are refused in patron text.
    let bidi = app.post_json(
        &format!("/api/contests/{id}/entries"),
        &json!({"title": "t", "text": "x", "display_name": "L\u{202E}éa", "category": "enfants",
                "consent": true, "licence": "cc-by", "email": "a@b.fr"}),
    );
    assert_eq!(bidi.status(), 400);
}

#[test]
fn patrons_vote_once_per_category_and_see_winners_and_results() {
    let app = app();
    // Voting opens in an hour; the test moves the app's clock there once the entries are in.
    let opens_at = app.now() + 3600;
    let response = app.post_json_as_admin("/api/contests", &json!({
        "title": "Concours photo",
        "categories": [{"slug": "enfants", "name": "Enfants"}, {"slug": "adultes", "name": "Adultes"}],
        "submissions_open": "2020-01-01T00:00:00Z",
        "submissions_close": time::rfc3339(opens_at),
        "voting_open": time::rfc3339(opens_at),
        "voting_close": "2099-01-01T00:00:00Z",
        "public_vote": true,
    }));
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let tricky = "<b>Été</b> 📚 مرحبا";
    let entries = [
        ("enfants", tricky),
        ("enfants", "Deux"),
        ("adultes", "Trois"),
    ];
    for (n, (category, title)) in entries.iter().enumerate() {
        let r = app.post_json(
            &format!("/api/contests/{id}/entries"),
            &json!({
                "title": title, "text": "<script>alert(1)</script>", "display_name": "Léa 🌞",
                "category": category, "consent": true, "licence": "cc-by-sa",
                "email": format!("p{n}@exemple.fr"),
            }),
        );
        assert_eq!(r.status(), 202);
    }
    // More entries than a gallery page in one category, to see the pagination.
    std::thread::scope(|s| {
        for n in 0..24 {
            let (app, id) = (&app, &id);
            s.spawn(move || {
                let r = app.post_json(
                    &format!("/api/contests/{id}/entries"),
                    &json!({
                        "title": format!("Photo {n}"), "link": "https://photos.example/a.jpg",
                        "display_name": "Tom", "category": "enfants", "consent": true,
                        "licence": "cc-by", "email": "tom@exemple.fr",
                    }),
                );
                assert_eq!(r.status(), 202);
            });
        }
    });
    for seq in 1..=27 {
        let r = app.post_json_as_admin(
            &format!("/api/contests/{id}/entries/{seq}/moderation"),
            &json!({"decision": "approve"}),
        );
        assert_eq!(r.status(), 200);
    }
    app.advance_clock_to(opens_at + 1);

    let page = app
        .get(&format!("/contests/{id}?category=enfants"))
        .text()
        .unwrap();
    assert!(!page.contains("<b>Été"));
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("rel=\"next\""), "a second gallery page");
    assert!(page.contains("heure de Paris"));
    let second = app
        .get(&format!("/contests/{id}?category=enfants&page=2"))
        .text()
        .unwrap();
    assert!(
        second.contains("name=\"entry\""),
        "entries beyond the first page can be voted for"
    );
    assert!(second.contains("&lt;b&gt;Été&lt;/b&gt; 📚 مرحبا"));

    let cookie = "kiosque_voter=e2e-contest-voter-0001";
    let vote = |entry: u64| {
        app.post_json_with_cookie(
            &format!("/api/contests/{id}/votes"),
            &json!({"entry": entry}),
            cookie,
        )
    };
    assert_eq!(vote(1).status(), 201);
    let again = vote(2);
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.json::<Value>().unwrap()["error"]["code"],
        "already_voted"
    );
    assert_eq!(vote(3).status(), 201, "another category");
    let form = app.post_form_with_cookie(
        &format!("/contests/{id}/vote"),
        "entry=1",
        Some("kiosque_voter=e2e-contest-voter-0002"),
    );
    assert_eq!(form.status(), 303);
    let twice = app.post_form_with_cookie(
        &format!("/contests/{id}/vote"),
        "entry=2",
        Some("kiosque_voter=e2e-contest-voter-0002"),
    );
    assert_eq!(twice.status(), 409);

    let dup = app.post_json_as_admin(
        &format!("/api/contests/{id}/winners"),
        &json!({"category": "enfants", "entries": [1, 1]}),
    );
    assert_eq!(dup.status(), 400);
    let winners = app.post_json_as_admin(
        &format!("/api/contests/{id}/winners"),
        &json!({"category": "enfants", "entries": [1]}),
    );
    assert_eq!(winners.status(), 200);
    let during: Value = app
        .get(&format!("/api/contests/{id}/results"))
        .json()
        .unwrap();
    assert_eq!(during["voting_over"], false);
    assert!(
        during["categories"][0]["votes"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(during["categories"][0]["winners"][0]["title"], tricky);

    assert_eq!(
        app.post_json_as_admin(&format!("/api/contests/{id}/close"), &json!({}))
            .status(),
        200
    );
    assert_eq!(vote(5).status(), 409, "voting is over");
    let after: Value = app
        .get(&format!("/api/contests/{id}/results"))
        .json()
        .unwrap();
    assert_eq!(after["voting_over"], true);
    let top = after["categories"][0]["votes"].as_array().unwrap();
    assert_eq!(top.len(), 10, "the most voted only");
    assert_eq!(
        (top[0]["entry"]["seq"].as_u64(), top[0]["votes"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(after["categories"][0]["approved"], 26);
    let results = app.get(&format!("/contests/{id}/results")).text().unwrap();
    assert!(results.contains("&lt;b&gt;Été&lt;/b&gt; 📚 مرحبا"));
    assert!(!results.contains("<b>Été"));
    assert!(results.contains("<bdi>Léa 🌞</bdi>"));
    assert!(results.contains("application/ld+json") && results.contains("\"ItemList\""));
    assert!(results.contains("og:title"));
}

#[test]
fn contest_votes_are_rate_limited_per_address() {
    let app = app_with(&[("rate_limit_votes", "1/600")]);
    if app.is_external() {
        return;
    }
    let id = new_contest(&app);
    // The entry does not exist: the limit is checked first all the same.
    let first = app.post_json(&format!("/api/contests/{id}/votes"), &json!({"entry": 1}));
    assert_eq!(first.status(), 409);
    let limited = app.post_json(&format!("/api/contests/{id}/votes"), &json!({"entry": 1}));
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_some());
}

/// Sends `body` with `content_type` (as admin when asked) and checks the answer is a 4xx in
/// the JSON error shape, returning its status and code.
fn refused(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: &str,
    admin: bool,
) -> (u16, String) {
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body.to_string());
    if admin {
        request = request.bearer_auth(&app.admin_token);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    assert!((400..500).contains(&status), "{path}: {status}");
    let error: Value = response
        .json()
        .unwrap_or_else(|_| panic!("{path}: JSON error body"));
    let code = error["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !code.is_empty() && error["error"]["message"].is_string(),
        "{path}: {error}"
    );
    (status, code)
}

#[test]
fn malformed_input_gets_a_json_4xx_on_every_question_and_contest_endpoint() {
    let app = app();
    let contest = new_contest(&app);
    let question: Value = app
        .post_json_as_admin(
            "/api/questions",
            &json!({"text": "Un livre pour l’hiver ?"}),
        )
        .json()
        .unwrap();
    let question = question["id"].as_str().unwrap().to_string();
    // Endpoints that read a JSON body (a like has none: its unknown answer is checked below).
    let public = [
        format!("/api/questions/{question}/answers"),
        format!("/api/contests/{contest}/entries"),
        format!("/api/contests/{contest}/votes"),
    ];
    let staff = [
        "/api/questions".to_string(),
        format!("/api/questions/{question}/state"),
        format!("/api/questions/{question}/answers/1/moderation"),
        "/api/contests".to_string(),
        format!("/api/contests/{contest}/entries/1/moderation"),
        format!("/api/contests/{contest}/winners"),
        "/api/contests/participants/export".to_string(),
        "/api/contests/participants/erase".to_string(),
    ];
    for (paths, admin) in [(&public[..], false), (&staff[..], true)] {
        for path in paths {
            refused(&app, path, "application/json", "{\"text\": ", admin);
            refused(&app, path, "application/json", "[1, 2]", admin);
            assert_eq!(
                refused(&app, path, "text/plain", "{}", admin).0,
                415,
                "{path}"
            );
        }
    }
    // Unknown ids and sequence numbers are 404s in the same shape.
    for path in [
        "/api/questions/nosuchquestion/answers".to_string(),
        format!("/api/questions/{question}/answers/999/likes"),
        "/api/contests/nosuchcontest/entries".to_string(),
    ] {
        let (status, _) = refused(&app, &path, "application/json", "{}", false);
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
    // Bad paging is a 400, not a silent default.
    let bad_page = app
        .client
        .get(app.url("/api/contests?page=zero"))
        .bearer_auth(&app.admin_token)
        .send()
        .unwrap();
    assert_eq!(bad_page.status(), 400);
    // Text over the limits, with right-to-left and emoji, is refused clearly.
    let (status, code) = refused(
        &app,
        &format!("/api/questions/{question}/answers"),
        "application/json",
        &json!({"text": "مرحبا 📚 ".repeat(200), "consent": true}).to_string(),
        false,
    );
    assert_eq!((status, code.as_str()), (400, "invalid_answer"));
}
