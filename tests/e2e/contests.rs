//! Contests end to end: create, enter, moderate, gallery, RGPD export/erase and purge.
//! (Voting windows in the future or past are covered by the domain tests with a fixed clock.)

use std::collections::BTreeMap;

use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp, workspace_root};

fn app() -> TestApp {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return TestApp::spawn();
    }
    let variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        ("rate_limit_submissions".to_string(), "0/0".to_string()),
    ]);
    TestApp::spawn_manifest(&workspace_root().join("spin.toml"), variables)
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
    let erased: Value = app
        .post_json_as_admin(
            "/api/contests/participants/erase",
            &json!({"email": "lea@exemple.fr"}),
        )
        .json()
        .unwrap();
    assert_eq!(erased["erased_entries"], 6);
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

    // Nothing due yet: the contest has not ended.
    let purge: Value = app
        .post_json_as_admin("/api/contests/purge", &json!({}))
        .json()
        .unwrap();
    assert_eq!(purge["erased"], 0);
}
