//! Patrons' privacy end to end: the poll voter cookie and the tutorial reader cookie are two
//! unlinkable identifiers; every public page's footer links the privacy, accessibility and
//! legal pages, which staff (administrators only) edit in Markdown, shown escaped.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{StaffBrowser, TestApp, cookie_from};

fn a_tutorial(app: &TestApp) {
    let created = app.post_json_as_admin(
        "/api/tutorials",
        &json!({
            "slug": "lire-en-ligne", "title": "Lire en ligne", "summary": "Pas à pas.",
            "audience": "Tout public", "level": "beginner", "estimated_minutes": 5,
            "service": {"name": "Numérique", "url": "https://numerique.bib.example"},
            "tags": ["Numérique"],
            "steps": [{"title": "Ouvrir", "text": "Ouvrez le site."},
                      {"title": "Lire", "text": "Lisez."}],
        }),
    );
    assert_eq!(created.status(), 201);
    let published = app.post_json_as_admin("/api/tutorials/lire-en-ligne/publish", &json!({}));
    assert!(published.status().is_success(), "{}", published.status());
}

fn a_poll(app: &TestApp) -> String {
    let poll = app.post_json_as_admin_ok(
        "/api/polls",
        &json!({"question": "Quel livre ?", "options": ["Germinal", "Nana"]}),
    );
    poll["id"].as_str().unwrap().to_owned()
}

#[test]
fn the_voter_and_reader_cookies_are_two_identifiers() {
    let app = TestApp::spawn();
    let poll = a_poll(&app);
    a_tutorial(&app);

    let vote = app.post_json(&format!("/api/polls/{poll}/votes"), &json!({"option": 0}));
    assert_eq!(vote.status(), 201);
    let voter = cookie_from(&vote, "kiosque_voter").expect("a voter cookie");

    // The same browser reads a tutorial, sending its voter cookie: it gets a reader cookie
    // of its own, with another name and another random value.
    let step = app.get_with_cookie("/tutorials/lire-en-ligne/steps/1", &voter);
    assert_eq!(step.status(), 200);
    assert!(
        cookie_from(&step, "kiosque_voter").is_none(),
        "tutorials never set the voter cookie"
    );
    let reader = cookie_from(&step, "kiosque_reader").expect("a reader cookie");
    let value = |pair: &str| pair.split_once('=').unwrap().1.to_owned();
    assert_ne!(value(&reader), value(&voter), "not linkable");
    // With both, the reader cookie is kept and the voter's never read by tutorials.
    let both = format!("{voter}; {reader}");
    let again = app.get_with_cookie("/tutorials/lire-en-ligne/steps/2", &both);
    assert!(cookie_from(&again, "kiosque_reader").is_none());
    // And the poll does not take the reader cookie for a voter: a fresh voter is made.
    let other = app.post_json_with_cookie(
        &format!("/api/polls/{poll}/votes"),
        &json!({"option": 1}),
        &reader,
    );
    assert_eq!(other.status(), 201);
    assert!(cookie_from(&other, "kiosque_voter").is_some());
}

const PAGES: [(&str, &str); 3] = [
    ("privacy", "/confidentialite"),
    ("accessibility", "/accessibilite"),
    ("legal", "/mentions-legales"),
];

#[test]
fn every_public_page_links_the_privacy_accessibility_and_legal_pages() {
    let app = TestApp::spawn();
    let poll = a_poll(&app);
    a_tutorial(&app);
    for path in [
        "/",
        "/showcases",
        "/events",
        "/tutorials",
        "/tutorials/lire-en-ligne",
        &format!("/polls/{poll}"),
        &format!("/polls/{poll}/results"),
        "/no-such-page",
        "/confidentialite",
        "/accessibilite?lang=en",
    ] {
        let html = app.get(path).text().unwrap();
        for (_, page) in PAGES {
            assert!(
                html.contains(&format!("href=\"{page}")),
                "{path} links {page}: {html}"
            );
        }
    }
    // The English interface keeps its language on the way.
    let html = app.get("/tutorials?lang=en").text().unwrap();
    assert!(html.contains("href=\"/confidentialite?lang=en\""), "{html}");

    // The defaults say what each cookie stores, and the RGAA status.
    let privacy = app.get("/confidentialite");
    assert_eq!(privacy.status(), 200);
    let privacy = privacy.text().unwrap();
    assert!(privacy.contains("kiosque_voter") && privacy.contains("kiosque_reader"));
    let accessibility = app.get("/accessibilite").text().unwrap();
    assert!(
        accessibility.contains("partiellement conforme"),
        "{accessibility}"
    );
    let english = app.get("/mentions-legales?lang=en").text().unwrap();
    assert!(english.contains("Legal notice"), "{english}");
}

#[test]
fn administrators_edit_the_pages_in_markdown_shown_escaped() {
    let app = TestApp::spawn();
    let body = json!({"fr": "# Vie privée\n\nÉcrivez au <b>DPO</b> : [dpo](javascript:alert(1)) <script>alert(1)</script>",
                      "en": "# Privacy\n\nWrite to the **DPO**."});
    // Anonymous: refused. A moderator: refused. Bad page name: 404; bad body: 400.
    let anonymous = app
        .client
        .put(app.url("/api/site-pages/privacy"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": "mod@bib.example", "name": "Mod", "role": "moderator",
                "password": "a long enough password"}),
    );
    let moderator = StaffBrowser::sign_in(&app, "mod@bib.example", "a long enough password");
    assert_eq!(
        moderator
            .send(&app, Method::PUT, "/api/site-pages/privacy", &body)
            .status(),
        403
    );
    assert_eq!(
        app.admin(Method::PUT, "/api/site-pages/cookies", Some(&body))
            .status(),
        404
    );
    let bad = app.admin(
        Method::PUT,
        "/api/site-pages/legal",
        Some(&json!({"fr": 3})),
    );
    assert_eq!(bad.status(), 400);
    assert_eq!(
        bad.json::<Value>().unwrap()["error"]["code"],
        "invalid_json"
    );

    let saved = app.admin(Method::PUT, "/api/site-pages/privacy", Some(&body));
    assert_eq!(saved.status(), 200);
    let read = app.admin(Method::GET, "/api/site-pages/privacy", None);
    assert_eq!(read.json::<Value>().unwrap()["fr"], body["fr"]);

    let html = app.get("/confidentialite").text().unwrap();
    assert!(html.contains("Vie privée"), "{html}");
    assert!(html.contains("&lt;b&gt;DPO&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains("href=\"javascript"), "{html}");
    let english = app.get("/confidentialite?lang=en").text().unwrap();
    assert!(english.contains("<strong>DPO</strong>"), "{english}");
    // The other pages keep their defaults.
    assert!(
        app.get("/accessibilite")
            .text()
            .unwrap()
            .contains("partiellement conforme")
    );
}

#[test]
fn the_daily_purge_and_erasure_are_for_administrators() {
    let app = TestApp::spawn();
    let anonymous = app.post_json("/api/privacy/purge", &json!({}));
    assert_eq!(anonymous.status(), 401);
    let purge = app.post_json_as_admin_ok("/api/privacy/purge", &json!({}));
    for area in ["contests", "mentions", "answers", "comments", "readers"] {
        assert!(purge[area].is_object(), "{purge}");
    }
    assert_eq!(purge["more"], false, "{purge}");
    let erased = app.post_json_as_admin_ok(
        "/api/privacy/erase",
        &json!({"handle": "@ana@social.example"}),
    );
    assert_eq!(
        (erased["removed"].as_u64(), erased["more"].as_bool()),
        (Some(0), Some(false))
    );
    let both = app.post_json_as_admin(
        "/api/privacy/erase",
        &json!({"handle": "@ana@social.example", "email": "a@b.fr"}),
    );
    assert_eq!(both.status(), 400);
}
