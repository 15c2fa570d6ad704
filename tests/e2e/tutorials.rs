//! Tutorials end to end: staff write, version, schedule and reuse content through the API;
//! patrons find, follow step by step, print and rate tutorials on the pages.

use serde_json::{Value, json};
use tests::{TestApp, cookie_from};

fn tutorial(slug: &str, title: &str) -> Value {
    json!({
        "slug": slug,
        "title": title,
        "summary": "Emprunter un livre numérique <b>gratuitement</b>.",
        "audience": "Tout public",
        "level": "beginner",
        "estimated_minutes": 10,
        "service": {"name": "Bibliothèque numérique", "url": "https://numerique.bib.example"},
        "tags": ["Livres numériques"],
        "steps": [
            {"title": "Se connecter", "block": "connexion-carte"},
            {"title": "Choisir", "text": "# Chercher\n\nAppuyez sur [[Entrée]] devant l’ÉCRAN.\n\n<script>alert(1)</script> [x](javascript:alert(2))",
             "image": {"url": "https://bib.example/ecran.png", "alt": "L’écran du catalogue"}},
            {"title": "Regarder", "text": "La vidéo montre tout.",
             "video": {"url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "transcript": "On clique sur Emprunter."}},
        ],
    })
}

fn admin_put(app: &TestApp, path: &str, body: &Value) -> reqwest::blocking::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(&app.admin_token)
        .json(body)
        .send()
        .unwrap()
}

#[test]
fn staff_write_version_schedule_and_patrons_follow_print_and_rate() {
    let app = TestApp::spawn();
    // Staff only, JSON only, validated.
    assert_eq!(
        app.post_json("/api/tutorials", &tutorial("a", "A"))
            .status(),
        401
    );
    let as_form = app
        .client
        .post(app.url("/api/tutorials"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(as_form.status(), 415);
    let mut no_alt = tutorial("b", "B");
    no_alt["steps"][1]["image"] = json!({"url": "https://bib.example/x.png"});
    let refused = app.post_json_as_admin("/api/tutorials", &no_alt);
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.json::<Value>().unwrap()["error"]["code"],
        "invalid_tutorial"
    );

    let block = admin_put(
        &app,
        "/api/tutorials/blocks/connexion-carte",
        &json!({"title": "Se connecter avec sa carte de lecteur", "text": "Saisissez le numéro de votre carte."}),
    );
    assert_eq!(block.status(), 200);
    let listed = app.get_json_as_admin("/api/tutorials/blocks");
    assert_eq!(listed["blocks"][0]["id"], "connexion-carte");
    let mut typo = tutorial("typo", "T");
    typo["steps"][0]["block"] = json!("connexion-cart");
    assert_eq!(
        app.post_json_as_admin("/api/tutorials", &typo).status(),
        400
    );
    let slug = "emprunter-livre";
    let created = app.post_json_as_admin(
        "/api/tutorials",
        &tutorial(slug, "Emprunter un livre numérique"),
    );
    assert_eq!(created.status(), 201);
    assert_eq!(created.json::<Value>().unwrap()["version"], 1);
    assert_eq!(
        app.post_json_as_admin("/api/tutorials", &tutorial(slug, "x"))
            .status(),
        409
    );

    // A draft is hidden; a future date keeps it hidden.
    assert_eq!(app.get(&format!("/tutorials/{slug}")).status(), 404);
    let later = app.post_json_as_admin(
        &format!("/api/tutorials/{slug}/publish"),
        &json!({"at": "2099-01-01T09:00"}),
    );
    assert_eq!(later.status(), 200);
    assert_eq!(later.json::<Value>().unwrap()["visible"], false);
    assert_eq!(app.get(&format!("/tutorials/{slug}")).status(), 404);
    assert!(
        !app.get("/tutorials")
            .text()
            .unwrap()
            .contains("Emprunter un livre")
    );
    let now = app.post_json_as_admin(&format!("/api/tutorials/{slug}/publish"), &json!({}));
    assert_eq!(now.json::<Value>().unwrap()["visible"], true);

    // A new version, a stale save refused, history and restore.
    let mut v2 = tutorial(slug, "Emprunter un e-book");
    v2["if_version"] = json!(1);
    assert_eq!(
        admin_put(&app, &format!("/api/tutorials/{slug}"), &v2).status(),
        200
    );
    let stale = admin_put(&app, &format!("/api/tutorials/{slug}"), &v2);
    assert_eq!(stale.status(), 409);
    assert_eq!(
        stale.json::<Value>().unwrap()["error"]["code"],
        "stale_version"
    );
    let history = app.get_json_as_admin(&format!("/api/tutorials/{slug}/versions"));
    assert_eq!(
        history["versions"][0]["title"],
        "Emprunter un livre numérique"
    );
    let restored = app.post_json_as_admin(
        &format!("/api/tutorials/{slug}/versions/1/restore"),
        &json!({}),
    );
    assert_eq!(restored.json::<Value>().unwrap()["version"], 3);

    // The index by service and tag, and search with accents and case folded.
    let index = app.get("/tutorials").text().unwrap();
    assert!(index.contains("<h2>Bibliothèque numérique</h2>"), "{index}");
    assert!(index.contains("/tutorials?tag=livres-numeriques"));
    for q in ["ecran", "%C3%89CRAN", "Ecran"] {
        let found = app.get(&format!("/tutorials?q={q}")).text().unwrap();
        assert!(found.contains(&format!("/tutorials/{slug}\"")), "{q}");
    }
    let api: Value = app.get("/api/tutorials/search?q=EMPRUNT").json().unwrap();
    assert_eq!(api["results"][0]["slug"], slug);

    // The overview: Article, Open Graph, escaped staff text, ETag and 304.
    let overview = app.get(&format!("/tutorials/{slug}"));
    let etag = overview.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        cookie_from(&overview, "kiosque_reader").is_some(),
        "the overview hands out the visitor token, so step 1 counts"
    );
    let page = overview.text().unwrap();
    assert!(page.contains("\"@type\":\"Article\""));
    assert!(!page.contains(":null"), "no null in the JSON-LD");
    assert!(
        page.contains("type=\"application/rss+xml\""),
        "feed autodiscovery"
    );
    assert!(page.contains("<meta property=\"og:type\" content=\"article\">"));
    assert!(page.contains("&lt;b&gt;gratuitement&lt;/b&gt;"));
    assert!(page.contains("hreflang=\"fr\""));
    let again = app
        .client
        .get(app.url(&format!("/tutorials/{slug}")))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    // One step at a time, with plain links, the block's text and safe Markdown.
    let step1 = app.get(&format!("/tutorials/{slug}/steps/1"));
    let cookie = cookie_from(&step1, "kiosque_reader").expect("a visitor cookie");
    let step1 = step1.text().unwrap();
    assert!(step1.contains("Saisissez le numéro de votre carte."));
    assert!(step1.contains("rel=\"next\""));
    assert!(!step1.contains("rel=\"prev\""));
    let step2 = app
        .get_with_cookie(&format!("/tutorials/{slug}/steps/2"), &cookie)
        .text()
        .unwrap();
    assert!(step2.contains("rel=\"prev\"") && step2.contains("rel=\"next\""));
    assert!(step2.contains("<kbd>Entrée</kbd>"));
    assert!(
        step2.contains("<h2 id=\"e2-s1\">"),
        "a step text heading sits under the step title"
    );
    assert!(step2.contains("alt=\"L’écran du catalogue\""));
    assert!(!step2.contains("<script>alert"));
    assert!(step2.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!step2.contains("href=\"javascript"));
    let step3 = app.get_with_cookie(&format!("/tutorials/{slug}/steps/3"), &cookie);
    let csp = step3.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-src https://www.youtube-nocookie.com"),
        "{csp}"
    );
    let step3 = step3.text().unwrap();
    assert!(step3.contains("youtube-nocookie.com/embed/dQw4w9WgXcQ"));
    assert!(step3.contains("On clique sur Emprunter."));
    assert!(
        step3.contains("name=\"helpful\""),
        "the last step asks for feedback"
    );
    assert_eq!(app.get(&format!("/tutorials/{slug}/steps/4")).status(), 404);
    // One address per step: `01`, `+1`... are no step.
    for variant in ["01", "+1", "002"] {
        let response = app.get(&format!("/tutorials/{slug}/steps/{variant}"));
        assert_eq!(response.status(), 404, "{variant}");
    }
    // Another patron stops at step 1; the first one went back to step 2. Clients that keep
    // no cookie (crawlers, link previews) are not patrons: they count nowhere.
    app.get_with_cookie(
        &format!("/tutorials/{slug}/steps/1"),
        "kiosque_reader=other-patron-0000000001",
    );
    app.get_with_cookie(&format!("/tutorials/{slug}/steps/2"), &cookie);
    for _ in 0..3 {
        app.get(&format!("/tutorials/{slug}/steps/3"));
    }

    // The printable view has every step.
    let print = app.get(&format!("/tutorials/{slug}/print")).text().unwrap();
    for n in 1..=3 {
        assert!(print.contains(&format!("id=\"etape-{n}\"")));
    }
    assert!(
        print.contains("<h3 id=\"e2-s1\">"),
        "under the step's <h2> on the printable page"
    );
    assert!(print.contains("<details class=\"transcript\" open>"));

    // "Was this helpful?": the form redirects, a second answer is not counted.
    let rated = app.post_form_with_cookie(
        &format!("/tutorials/{slug}/feedback"),
        "helpful=yes&comment=Tr%C3%A8s+clair+%3Cb%3E",
        Some(&cookie),
    );
    assert_eq!(rated.status(), 303);
    let again = app.post_json_with_cookie(
        &format!("/api/tutorials/{slug}/feedback"),
        &json!({"helpful": false}),
        &cookie,
    );
    assert_eq!(again.status(), 409);
    let summary = app.get_json_as_admin(&format!("/api/tutorials/{slug}/feedback"));
    assert_eq!(summary["helpful"], 1);
    assert_eq!(summary["not_helpful"], 0);
    assert_eq!(summary["stopped_at"], json!([1, 1, 0]));
    assert_eq!(summary["comments"][0]["text"], "Très clair <b>");

    // The feed lists it; unpublishing hides everything again.
    let feed = app.get("/tutorials/feed.xml");
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    assert!(
        feed.text()
            .unwrap()
            .contains(&format!("/tutorials/{slug}</link>"))
    );
    app.post_json_as_admin(&format!("/api/tutorials/{slug}/unpublish"), &json!({}));
    assert_eq!(app.get(&format!("/tutorials/{slug}/steps/1")).status(), 404);
    let deleted = app
        .client
        .delete(app.url(&format!("/api/tutorials/{slug}")))
        .bearer_auth(&app.admin_token)
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let listed = app.get_json_as_admin("/api/tutorials");
    assert_eq!(listed["tutorials"].as_array().unwrap().len(), 0);
}

#[test]
fn french_and_english_versions_link_to_each_other() {
    let app = TestApp::spawn();
    let mut fr = tutorial("emprunter", "Emprunter");
    fr["translation"] = json!("borrow");
    fr["steps"] = json!([{"text": "Étape unique."}]);
    let mut en = tutorial("borrow", "Borrow an e-book");
    en["lang"] = json!("en");
    en["translation"] = json!("emprunter");
    en["steps"] = json!([{"text": "Only step."}]);
    for body in [fr, en] {
        let slug = body["slug"].as_str().unwrap().to_owned();
        assert_eq!(
            app.post_json_as_admin("/api/tutorials", &body).status(),
            201
        );
        app.post_json_as_admin(&format!("/api/tutorials/{slug}/publish"), &json!({}));
    }
    let en_page = app.get("/tutorials/borrow").text().unwrap();
    assert!(
        en_page.contains("<html lang=\"en\">"),
        "an English tutorial speaks English"
    );
    assert!(en_page.contains(&format!(
        "<link rel=\"alternate\" hreflang=\"fr\" href=\"{}/tutorials/emprunter\">",
        app.base_url
    )));
    assert!(en_page.contains(&format!(
        "<link rel=\"canonical\" href=\"{}/tutorials/borrow\">",
        app.base_url
    )));
    let fr_page = app.get("/tutorials/emprunter").text().unwrap();
    assert!(fr_page.contains("hreflang=\"en\" lang=\"en\">Read this tutorial in English</a>"));
}

/// A step illustrated with a medium of the library: saved with the size of its `page`
/// rendition, shown with width and height, shared as its absolute `social` rendition; a
/// medium the library does not hold is refused by its field.
#[test]
fn a_step_shows_an_image_from_the_media_library() {
    let app = TestApp::spawn();
    let uploaded = tests::images::library_medium(
        &app,
        "catalogue.jpg",
        800,
        600,
        json!({"alt": "Le catalogue"}),
    );
    let medium = uploaded["id"].as_str().unwrap().to_owned();
    let page = &uploaded["renditions"]["page"];
    let (width, height) = (
        page["width"].as_u64().unwrap(),
        page["height"].as_u64().unwrap(),
    );
    let block = admin_put(
        &app,
        "/api/tutorials/blocks/connexion-carte",
        &json!({"title": "Se connecter", "text": "Saisissez le numéro de votre carte."}),
    );
    assert_eq!(block.status(), 200);

    let mut gone = tutorial("catalogue-absent", "Absent");
    gone["steps"][1]["image"] = json!({"medium": "abcdefghijklmnop", "alt": "a"});
    let refused = app.post_json_as_admin("/api/tutorials", &gone);
    assert_eq!(refused.status(), 400);
    let message = refused.json::<Value>().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("steps[2].image.medium: the media library has no medium"),
        "{message}"
    );

    let slug = "chercher-au-catalogue";
    let mut body = tutorial(slug, "Chercher au catalogue");
    body["steps"][1]["image"] =
        json!({"medium": medium, "alt": "L’écran du catalogue, la recherche"});
    let saved = app.post_json_as_admin("/api/tutorials", &body);
    assert_eq!(saved.status(), 201);
    let saved: Value = saved.json().unwrap();
    let image = &saved["steps"][1]["image"];
    assert_eq!(image["medium"], json!(medium), "{saved}");
    assert_eq!(image["width"], width);
    assert_eq!(image["height"], height);
    let published = app.post_json_as_admin(&format!("/api/tutorials/{slug}/publish"), &json!({}));
    assert_eq!(published.status(), 200);

    let step = app
        .get(&format!("/tutorials/{slug}/steps/2"))
        .text()
        .unwrap();
    assert!(
        step.contains(&format!(
            "<img src=\"/media/{medium}/page.jpg\" alt=\"L’écran du catalogue, la recherche\" width=\"{width}\" height=\"{height}\""
        )),
        "{step}"
    );
    let og_start = step
        .find("<meta property=\"og:image\" content=\"")
        .expect("og:image");
    let og = step[og_start..].split_once('>').unwrap().0;
    assert!(
        og.contains("content=\"http") && og.ends_with(&format!("/media/{medium}/social.jpg\"")),
        "an absolute og:image: {og}"
    );
}
