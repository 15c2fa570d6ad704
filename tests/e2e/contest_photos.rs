//! Photo and drawing contests end to end: a patron posts the contest page's
//! `multipart/form-data` form (built here as a browser builds it) with a phone photo carrying
//! EXIF GPS; the entry waits for moderation and its image is not public; staff see it,
//! approve it and correct its alt text; the gallery shows it without metadata; a file too
//! large, a polyglot, a missing alt text and a child without their parent's consent are
//! refused with an HTML page and a 4xx, storing nothing; erasure by email removes the image.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use tests::images::{PHOTO_SECRET, jpeg_html_polyglot, jpeg_segments, phone_photo};
use tests::{TEST_ADMIN_TOKEN, TestApp};

fn app() -> TestApp {
    if std::env::var("KIOSQUE_BASE_URL").is_ok() {
        return TestApp::spawn();
    }
    TestApp::spawn_with_variables(BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        (
            "card_hash_key".to_string(),
            "e2e-contact-secret".to_string(),
        ),
    ]))
}

fn photo_contest(app: &TestApp) -> String {
    let response = app.post_json_as_admin(
        "/api/contests",
        &json!({
            "title": "Concours photo : ma ville",
            "categories": [{"slug": "tous", "name": "Tous"}],
            "submissions_open": "2020-01-01T00:00:00Z",
            "submissions_close": "2099-01-01T00:00:00Z",
            "jury": true,
            "entry_image": "required",
        }),
    );
    assert_eq!(response.status(), 201);
    let body: Value = response.json().unwrap();
    assert_eq!(body["entry_image"], "required");
    body["id"].as_str().unwrap().to_string()
}

const BOUNDARY: &str = "----WebKitFormBoundaryq8Vx3kKmS0bJ2aZc";

/// The body a browser sends for the entry form: text fields, then the file.
fn form_body(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn fields<'a>(email: &'a str, alt: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", "La place du marché"),
        ("display_name", "Zoé <b>"),
        ("category", "tous"),
        ("licence", "cc-by"),
        ("email", email),
        ("alt", alt),
        ("consent", "yes"),
        ("website", ""),
    ]
}

fn post_entry(app: &TestApp, id: &str, body: Vec<u8>) -> reqwest::blocking::Response {
    app.send(
        app.request(Method::POST, &format!("/media/contest-entries/{id}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("accept-language", "fr-FR,fr;q=0.9")
            .body(body),
    )
}

fn queue(app: &TestApp, id: &str) -> Value {
    app.get_json_as_admin(&format!("/api/contests/{id}/queue"))
}

/// A refusal: an HTML page with the status, the words, and a link back to the form.
fn assert_refused(response: reqwest::blocking::Response, status: u16, words: &str, id: &str) {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let page = response.text().unwrap();
    assert!(page.contains(words), "{words}: {page}");
    assert!(
        page.contains(&format!("/contests/{id}#participer")),
        "a link back to the form"
    );
    assert!(page.contains("lang=\"en\""), "English after French");
}

#[test]
fn a_phone_photo_entry_is_moderated_into_the_gallery_without_its_metadata() {
    let app = app();
    let id = photo_contest(&app);
    // The contest page's form sends its file to the media component.
    let page = app.get(&format!("/contests/{id}")).text().unwrap();
    assert!(page.contains(&format!("action=\"/media/contest-entries/{id}\"")));
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(page.contains("accept=\"image/jpeg,image/png,image/webp,image/gif\""));
    assert!(page.contains("pour les personnes qui ne la voient pas"));
    assert!(page.contains("name=\"parent_consent\""));

    let photo = phone_photo(1600, 1200);
    assert!(photo.windows(PHOTO_SECRET.len()).any(|w| w == PHOTO_SECRET));
    let alt = "Des étals de légumes sous des parasols rouges, place du marché";
    let response = post_entry(
        &app,
        &id,
        form_body(
            &fields("zoe@exemple.fr", alt),
            Some(("IMG_2041.JPG", "image/jpeg", &photo)),
        ),
    );
    let status = response.status();
    let location = response.headers().get("location").cloned();
    assert_eq!(status, 303, "{:?}", response.text());
    assert_eq!(
        location.unwrap(),
        format!("/contests/{id}?done=entry").as_str()
    );

    // Pending: staff see the entry and its thumbnail; the public does not see the image.
    let q = queue(&app, &id);
    let entry = &q["entries"][0];
    assert_eq!(entry["status"], "pending");
    assert_eq!(entry["image"]["alt"], alt);
    assert_eq!(entry["email"], "zoe@exemple.fr");
    let medium = entry["image"]["medium"].as_str().unwrap().to_owned();
    let page_url = format!("/media/{medium}/page.jpg");
    assert_eq!(app.get(&page_url).status(), 404);
    assert_eq!(app.get(&format!("/media/{medium}/thumb.jpg")).status(), 404);
    let staff_view = app.send(
        app.request(Method::GET, &format!("/media/{medium}/thumb.jpg"))
            .bearer_auth(&app.admin_token),
    );
    assert_eq!(staff_view.status(), 200);
    assert_eq!(staff_view.headers()["cache-control"], "private, no-store");
    // Not in the staff media library.
    let library = app.get_json_as_admin("/api/media");
    assert!(
        library["media"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != medium.as_str()),
        "{library}"
    );
    let gallery = app.get(&format!("/contests/{id}")).text().unwrap();
    assert!(!gallery.contains(&medium), "not in the gallery yet");

    // Approved: public, in the gallery with its alt text and size, without metadata.
    assert_eq!(
        app.post_json_as_admin(
            &format!("/api/contests/{id}/entries/1/moderation"),
            &json!({"decision": "approve"}),
        )
        .status(),
        200
    );
    let served = app.get(&page_url);
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["cache-control"], "public, max-age=3600");
    let bytes = served.bytes().unwrap();
    assert!(!bytes.windows(PHOTO_SECRET.len()).any(|w| w == PHOTO_SECRET));
    for (marker, _) in jpeg_segments(&bytes) {
        assert!(
            marker == 0xE0 || !(0xE1..=0xEF).contains(&marker) && marker != 0xFE,
            "metadata segment {marker:#x} in the rendition"
        );
    }
    let gallery = app.get(&format!("/contests/{id}")).text().unwrap();
    // Stored sideways with orientation 6: upright, the page rendition is 1200 x 1600.
    assert!(gallery.contains(&format!(
        "<img src=\"/media/{medium}/page.jpg\" alt=\"{alt}\" width=\"1200\" height=\"1600\" loading=\"lazy\""
    )), "{gallery}");
    assert!(
        gallery.contains("Zoé &lt;b&gt;"),
        "the patron's name, escaped"
    );
    assert!(gallery.contains("creativecommons.org/licenses/by/4.0/"));
    assert!(gallery.contains(&format!("/media/{medium}/page.jpg\"")));
    assert!(
        gallery.contains("og:image\" content=\"http")
            && gallery.contains("og:image:alt\" content=\"Des étals"),
        "the first approved image is the page's picture"
    );
    let api: Value = app
        .get(&format!("/api/contests/{id}/entries?category=tous"))
        .json()
        .unwrap();
    assert_eq!(api["entries"][0]["image"]["url"], page_url.as_str());

    // Staff correct the alt text (audited): the gallery shows the new one.
    let corrected = "Des étals de légumes et de fleurs sous des parasols rouges";
    let response = app.send(
        app.request(Method::PUT, &format!("/api/contests/{id}/entries/1/alt"))
            .bearer_auth(&app.admin_token)
            .json(&json!({"alt": corrected})),
    );
    assert_eq!(response.status(), 200);
    let gallery = app.get(&format!("/contests/{id}")).text().unwrap();
    assert!(gallery.contains(&format!("alt=\"{corrected}\"")));
    let empty = app.send(
        app.request(Method::PUT, &format!("/api/contests/{id}/entries/1/alt"))
            .bearer_auth(&app.admin_token)
            .json(&json!({"alt": "  "})),
    );
    assert_eq!(empty.status(), 400);
    let audit = app.get_json_as_admin("/api/staff/audit");
    assert!(
        audit
            .to_string()
            .contains(&format!("/api/contests/{id}/entries/1/alt")),
        "{audit}"
    );

    // Erasure by email removes the entry and its image.
    let erased: Value = app
        .post_json_as_admin("/api/privacy/erase", &json!({"email": "zoe@exemple.fr"}))
        .json()
        .unwrap();
    assert_eq!(erased["removed"], 1, "{erased}");
    assert_eq!(app.get(&page_url).status(), 404);
    let staff_after = app.send(
        app.request(Method::GET, &page_url)
            .bearer_auth(&app.admin_token),
    );
    assert_eq!(staff_after.status(), 404, "the medium itself is gone");
    assert!(
        !app.get(&format!("/contests/{id}"))
            .text()
            .unwrap()
            .contains(&medium)
    );
}

#[test]
fn refused_images_and_fields_get_an_html_page_and_store_nothing() {
    let app = app();
    let id = photo_contest(&app);
    let alt = "Une rue la nuit";
    // Over 10,000,000 bytes but within the route's body cap: refused before decoding.
    let too_big = vec![0xFFu8; 10_200_000];
    assert_refused(
        post_entry(
            &app,
            &id,
            form_body(
                &fields("a@exemple.fr", alt),
                Some(("big.jpg", "image/jpeg", &too_big)),
            ),
        ),
        413,
        "10 Mo",
        &id,
    );
    // Over the route's body cap: the adapter's own 413 page.
    let huge = vec![0u8; 12_000_000];
    let response = post_entry(
        &app,
        &id,
        form_body(
            &fields("a@exemple.fr", alt),
            Some(("huge.jpg", "image/jpeg", &huge)),
        ),
    );
    assert_eq!(response.status(), 413);
    assert!(response.text().unwrap().contains("trop volumineux"));
    // A JPEG with an HTML page after it.
    assert_refused(
        post_entry(
            &app,
            &id,
            form_body(
                &fields("a@exemple.fr", alt),
                Some(("photo.jpg", "image/jpeg", &jpeg_html_polyglot())),
            ),
        ),
        422,
        "pas seulement une image",
        &id,
    );
    let photo = phone_photo(320, 240);
    // No alt text: refused before any decoding.
    assert_refused(
        post_entry(
            &app,
            &id,
            form_body(
                &fields("a@exemple.fr", " "),
                Some(("p.jpg", "image/jpeg", &photo)),
            ),
        ),
        400,
        "Décrivez l’image",
        &id,
    );
    // A child without their parent's consent.
    let mut child = fields("a@exemple.fr", alt);
    child.extend([("under_15", "yes"), ("parent_name", "Marie Dupont")]);
    assert_refused(
        post_entry(
            &app,
            &id,
            form_body(&child, Some(("p.jpg", "image/jpeg", &photo))),
        ),
        400,
        "parent ou tuteur doit donner son accord",
        &id,
    );
    // No file at all, where the contest requires one.
    assert_refused(
        post_entry(&app, &id, form_body(&fields("a@exemple.fr", alt), None)),
        400,
        "Ce concours demande une image",
        &id,
    );
    // A body that is not a form.
    assert_refused(
        app.send(
            app.request(Method::POST, &format!("/media/contest-entries/{id}"))
                .header("content-type", "multipart/form-data; boundary=x")
                .body("garbage"),
        ),
        400,
        "Formulaire illisible",
        &id,
    );
    // Nothing was stored: no entry number was taken.
    assert_eq!(queue(&app, &id)["submitted"], 0);

    // With the parent's consent, the child's entry goes through; staff (administrators)
    // see the declaration.
    child.push(("parent_consent", "yes"));
    let response = post_entry(
        &app,
        &id,
        form_body(&child, Some(("p.jpg", "image/jpeg", &photo))),
    );
    assert_eq!(response.status(), 303);
    let q = queue(&app, &id);
    assert_eq!(q["submitted"], 1);
    assert_eq!(
        q["entries"][0]["parental_consent"]["parent_name"],
        "Marie Dupont"
    );
    // Rejection deletes the image.
    let medium = q["entries"][0]["image"]["medium"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.post_json_as_admin(
            &format!("/api/contests/{id}/entries/1/moderation"),
            &json!({"decision": "reject"}),
        )
        .status(),
        200
    );
    let staff_view = app.send(
        app.request(Method::GET, &format!("/media/{medium}/thumb.jpg"))
            .bearer_auth(&app.admin_token),
    );
    assert_eq!(staff_view.status(), 404);
    // A closed contest refuses with its own page.
    app.post_json_as_admin(&format!("/api/contests/{id}/close"), &json!({}));
    assert_refused(
        post_entry(
            &app,
            &id,
            form_body(
                &fields("a@exemple.fr", alt),
                Some(("p.jpg", "image/jpeg", &photo)),
            ),
        ),
        409,
        "ne reçoit pas de participations",
        &id,
    );
}

const PASSWORD: &str = "une longue phrase de passe";

#[test]
fn a_moderator_sees_the_pending_image_and_corrects_its_alt_text_in_the_console() {
    let app = app();
    app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": "bruno@bib.example", "name": "Bruno", "role": "moderator",
                "password": PASSWORD}),
    );
    let id = photo_contest(&app);
    let response = post_entry(
        &app,
        &id,
        form_body(
            &fields("zoe@exemple.fr", "Un chat"),
            Some(("chat.jpg", "image/jpeg", &phone_photo(640, 480))),
        ),
    );
    assert_eq!(response.status(), 303);
    let browser = tests::browser::Browser::start();
    browser.sign_in(&app, "bruno@bib.example", PASSWORD);
    browser.goto(&app.url(&format!("/admin/#/contests/{id}")));
    browser.find("[data-testid=entry-alt-edit-1]");
    // The pending thumbnail loads with the moderator's session (the public gets 404).
    browser.wait_for(
        "the pending thumbnail loads",
        "(() => { const img = document.querySelector('[data-testid=entry-1] img'); \
         return img && img.complete && img.naturalWidth > 0 && img.alt === ''; })()",
    );
    assert_eq!(browser.text("[data-testid=entry-alt-1]"), "Un chat");
    browser.screenshot("contest-photo-moderation");
    browser.click("[data-testid=entry-alt-edit-1]");
    browser.find("[data-testid=alt-dialog] textarea");
    browser.script(
        "document.querySelector('[data-testid=alt-dialog] textarea').value = arguments[0];",
        json!(["Un chat roux endormi sur un muret"]),
    );
    browser.click("[data-testid=alt-dialog-submit]");
    browser.wait_for(
        "the corrected alt text is shown",
        "document.querySelector('[data-testid=entry-alt-1]')?.textContent === 'Un chat roux endormi sur un muret'",
    );
    let queue = queue(&app, &id);
    assert_eq!(
        queue["entries"][0]["image"]["alt"],
        "Un chat roux endormi sur un muret"
    );
}
