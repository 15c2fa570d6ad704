//! Questions end to end: staff open a question, patrons answer (honeypot, consent, rate
//! limit), staff moderate, approved answers are public and liked once per patron.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp};

/// The real app with the submissions rate limit set to `limit`.
fn app_with_limit(limit: &str) -> TestApp {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return TestApp::spawn();
    }
    let variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        ("rate_limit_submissions".to_string(), limit.to_string()),
    ]);
    TestApp::spawn_with_variables(variables)
}

fn new_question(app: &TestApp) -> String {
    let response = app.post_json_as_admin(
        "/api/questions",
        &json!({"text": "Quel livre vous a accompagné cet été ?", "fields": ["title", "author"]}),
    );
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    body["id"].as_str().unwrap().to_string()
}

#[test]
fn answers_are_moderated_published_escaped_and_liked_once() {
    let app = app_with_limit("0/0");
    let id = new_question(&app);
    let answer = json!({"text": "<script>alert(1)</script> https://x.example/a", "title": "Germinal", "consent": true, "pseudonym": "Léa 📚"});
    assert_eq!(
        app.post_json(&format!("/api/questions/{id}/answers"), &answer)
            .status(),
        202
    );
    let no_consent = app.post_json(
        &format!("/api/questions/{id}/answers"),
        &json!({"text": "x"}),
    );
    assert_eq!(no_consent.status(), 400);
    assert_eq!(
        no_consent.json::<Value>().unwrap()["error"]["code"],
        "consent_required"
    );
    // The honeypot: accepted, stored nowhere.
    let spam = json!({"text": "buy", "consent": true, "website": "http://spam.example"});
    assert_eq!(
        app.post_json(&format!("/api/questions/{id}/answers"), &spam)
            .status(),
        202
    );
    let queue = app.get_json_as_admin(&format!("/api/questions/{id}/queue?status=pending"));
    assert_eq!(queue["answers"].as_array().unwrap().len(), 1);
    assert_eq!(app.get(&format!("/api/questions/{id}/queue")).status(), 401);

    let page = app.get(&format!("/questions/{id}")).text().unwrap();
    assert!(!page.contains("alert(1)"), "not yet approved");
    let moderated = app.post_json_as_admin(
        &format!("/api/questions/{id}/answers/1/moderation"),
        &json!({"decision": "approve"}),
    );
    assert_eq!(moderated.status(), 200);
    let page = app.get(&format!("/questions/{id}")).text().unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("rel=\"nofollow ugc noopener\""));
    // The honeypot block: hidden from assistive technologies, its field out of the tab order.
    let hp = page
        .split("<div class=\"hp\" aria-hidden=\"true\">")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the honeypot block");
    assert!(hp.contains("name=\"website\"") && hp.contains("tabindex=\"-1\""));

    // The same patron liking twice at once counts once.
    let cookie = "kiosque_voter=e2e-liker-000000000001";
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    app.post_json_with_cookie(
                        &format!("/api/questions/{id}/answers/1/likes"),
                        &json!({}),
                        cookie,
                    )
                    .status()
                    .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    let list: Value = app
        .get(&format!("/api/questions/{id}/answers?sort=likes"))
        .json()
        .unwrap();
    assert_eq!(list["answers"][0]["likes"], 1);
}

#[test]
fn concurrent_answers_all_land_and_forms_redirect() {
    let app = app_with_limit("0/0");
    let id = new_question(&app);
    std::thread::scope(|s| {
        for n in 0..24 {
            let app = &app;
            let id = &id;
            s.spawn(move || {
                let r = app.post_json(
                    &format!("/api/questions/{id}/answers"),
                    &json!({"text": format!("réponse {n}"), "consent": true}),
                );
                assert_eq!(r.status(), 202);
            });
        }
    });
    let queue = app.get_json_as_admin(&format!("/api/questions/{id}/queue?limit=100"));
    assert_eq!(queue["submitted"], 24);
    assert_eq!(queue["answers"].as_array().unwrap().len(), 24);

    let form = app.post_form_with_cookie(
        &format!("/questions/{id}/answer"),
        "text=Bonjour&consent=yes",
        None,
    );
    assert_eq!(form.status(), 303);
    let location = form.headers()["location"].to_str().unwrap().to_string();
    let thanked = app.get(&location).text().unwrap();
    assert!(thanked.contains("Merci ! Votre réponse sera publiée après relecture."));
    let refused = app.post_form_with_cookie(
        &format!("/questions/{id}/answer"),
        "text=&consent=yes",
        None,
    );
    assert_eq!(refused.status(), 400);
    let refused = refused.text().unwrap();
    assert!(refused.contains("aria-describedby=\"text-hint text-error\""));
    assert!(
        refused.contains("<a href=\"#text\">"),
        "the summary links to the field"
    );
    assert!(refused.contains("Écrivez votre réponse"));

    // The staff list finds it, newest first.
    let list = app.get_json_as_admin("/api/questions");
    assert_eq!(list["questions"][0]["id"], id.as_str());
    assert_eq!(app.get("/api/questions").status(), 401);
}

#[test]
fn likes_are_rate_limited_per_address() {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return;
    }
    let variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        ("rate_limit_submissions".to_string(), "0/0".to_string()),
        ("rate_limit_votes".to_string(), "1/600".to_string()),
    ]);
    let app = TestApp::spawn_with_variables(variables);
    let id = new_question(&app);
    // No cookie: each request is a new visitor, the address limit still holds.
    let first = app.post_json(&format!("/api/questions/{id}/answers/1/likes"), &json!({}));
    assert_eq!(first.status(), 404);
    let limited = app.post_json(&format!("/api/questions/{id}/answers/1/likes"), &json!({}));
    assert_eq!(limited.status(), 429);
}

#[test]
fn submissions_are_rate_limited_per_address() {
    let app = app_with_limit("2/600");
    if app.is_external() {
        return;
    }
    let id = new_question(&app);
    let body = json!({"text": "x", "consent": true});
    for _ in 0..2 {
        assert_eq!(
            app.post_json(&format!("/api/questions/{id}/answers"), &body)
                .status(),
            202
        );
    }
    let limited = app.post_json(&format!("/api/questions/{id}/answers"), &body);
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().get("retry-after").is_some());
}
