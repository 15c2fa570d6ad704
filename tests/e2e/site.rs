//! The rest of the site: home page, friendly 404s of every component,
//! static files.

use tests::TestApp;

fn content_type(response: &reqwest::blocking::Response) -> String {
    response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_home_page_is_french_first_with_english() {
    let app = TestApp::spawn();
    let home = app.get("/");
    assert_eq!(home.status(), 200);
    assert!(content_type(&home).starts_with("text/html"));
    let html = home.text().unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(html.contains("property=\"og:title\""));
    assert!(html.contains("href=\"/static/css/kiosque.css\""));
    // Every section is linked (showcases and events here, tutorials in their component).
    for section in ["/showcases", "/events", "/tutorials"] {
        assert!(
            html.contains(&format!("href=\"{section}\"")),
            "{section} is not linked"
        );
    }
    assert!(html.contains("Vitrines</a>"));
    let english = app.get("/?lang=en").text().unwrap();
    assert!(english.contains("<html lang=\"en\""));
    assert!(english.contains("<a href=\"/showcases?lang=en\">Showcases</a>"));
    assert!(
        english.contains("<a href=\"/?lang=fr\" hreflang=\"fr\" lang=\"fr\">Version française</a>")
    );
}

/// `kiosque_spin::serve` sends each answer whole, its length stated (no chunked framing), in
/// every component: a page, a static file, a JSON answer, a friendly 404 page.
#[test]
fn answers_state_their_length() {
    let app = TestApp::spawn();
    for path in [
        "/",
        "/static/css/kiosque.css",
        "/api/openapi.json",
        "/tutorials",
        "/nowhere",
    ] {
        let response = app.get(path);
        let stated: usize = response
            .headers()
            .get("content-length")
            .unwrap_or_else(|| panic!("{path}: no content-length"))
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            !response.headers().contains_key("transfer-encoding"),
            "{path}"
        );
        assert_eq!(response.bytes().unwrap().len(), stated, "{path}");
    }
}

#[test]
fn head_requests_get_headers_only() {
    let app = TestApp::spawn();
    for path in ["/", "/static/css/kiosque.css"] {
        let response = app.client.head(app.url(path)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("content-type"), "{path}");
        assert!(response.bytes().unwrap().is_empty(), "{path}");
    }
}

#[test]
fn every_component_answers_a_friendly_404() {
    let app = TestApp::spawn();
    for path in [
        "/nowhere",
        "/campaigns/unknown",
        "/tutorials/unknown",
        "/showcases/none",
        "/events/none",
    ] {
        let response = app.get(path);
        assert_eq!(response.status(), 404, "{path}");
        assert!(content_type(&response).starts_with("text/html"), "{path}");
        let html = response.text().unwrap();
        assert!(
            html.contains("<html lang=\"fr\"") && html.contains("href=\"/\""),
            "{path}: {html}"
        );
    }
    for path in [
        "/api/posts/1/nothing",
        "/api/scheduler/nothing",
        "/webhooks/nowhere",
        "/api/tutorials/x/nothing",
        "/api/showcases/x/nowhere",
    ] {
        let response = app.get(path);
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            content_type(&response),
            "application/problem+json",
            "{path}"
        );
        let body: serde_json::Value = response.json().unwrap();
        // RFC 9457 members, Kiosque's `code`, and the `error` member older clients read.
        assert_eq!(body["type"], "urn:kiosque:problem:not_found", "{path}");
        assert_eq!(body["title"], "Not Found", "{path}");
        assert_eq!(body["status"], 404, "{path}");
        assert_eq!(body["code"], "not_found", "{path}");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
        assert_eq!(body["detail"], body["error"]["message"], "{path}");
    }
}

#[test]
fn a_method_a_path_does_not_accept_is_a_405_that_says_which_it_does() {
    let app = TestApp::spawn();
    // An API path: a problem, and `Allow` with every method of the path.
    let response = app.post_raw("/api/polls/abc/results", "application/json", "{}");
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_eq!(content_type(&response), "application/problem+json");
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["code"], "method_not_allowed");
    assert_eq!(body["status"], 405);
    let response = app
        .client
        .patch(app.url("/api/tutorials"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    // A page: the HTML page, with `Allow` too.
    let response = app
        .client
        .delete(app.url("/tutorials/feed.xml"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert!(content_type(&response).starts_with("text/html"));
    let post = app.post_raw("/static/css/kiosque.css", "text/plain", "x");
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
}

#[test]
fn static_files_are_served_with_caching() {
    let app = TestApp::spawn();
    let css = app.get("/static/css/kiosque.css");
    assert_eq!(css.status(), 200);
    assert!(content_type(&css).starts_with("text/css"));
    let etag = css.headers()["etag"].to_str().unwrap().to_string();
    assert!(
        css.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let expected = std::fs::read(tests::workspace_root().join("static/css/kiosque.css")).unwrap();
    assert_eq!(css.bytes().unwrap().as_ref(), expected.as_slice());

    let revalidated = app
        .client
        .get(app.url("/static/css/kiosque.css"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(revalidated.status(), 304);

    // Traversal attempts that reach static-files: clients normalise `..` and `%2e%2e` path
    // segments before sending (so those never leave the client), but not an encoded slash.
    // The first one names the stylesheet itself, served above, so only the check refuses it.
    for path in [
        "/static/css%2f..%2fcss%2fkiosque.css",
        "/static/..%2fspin.toml",
        "/static/css/..%5ckiosque.css",
        "/static/css/missing.css",
    ] {
        let url = reqwest::Url::parse(&app.url(path)).unwrap();
        assert_eq!(url.path(), path, "the client sends the path unchanged");
        let response = app.get(path);
        assert_eq!(response.status(), 404, "{path}");
        assert!(content_type(&response).starts_with("text/html"), "{path}");
    }
    let post = app.post_raw("/static/css/kiosque.css", "text/plain", "x");
    assert_eq!(post.status(), 405);
}

/// Every public page shows a picture when shared: its own, else the library's (configured,
/// or the one Kiosque ships), with alt text and the large card.
#[test]
fn every_shared_page_gets_a_picture_card() {
    let app = TestApp::spawn();
    let picture = app.get("/static/img/share-card.png");
    assert_eq!(picture.status(), 200);
    assert_eq!(content_type(&picture), "image/png");
    let bytes = picture.bytes().unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[16..24], &[0, 0, 4, 176, 0, 0, 2, 118], "1200 x 630");

    for path in ["/", "/tutorials", "/events", "/showcases", "/no-such-page"] {
        let html = app.get(path).text().unwrap();
        for expected in [
            "/static/img/share-card.png\">",
            "<meta property=\"og:image:alt\" content=\"Des livres de toutes les couleurs alignés sur deux étagères\">",
            "<meta name=\"twitter:card\" content=\"summary_large_image\">",
        ] {
            assert!(html.contains(expected), "{path}: missing {expected}");
        }
    }

    let chosen = TestApp::spawn_with_fakes(&[
        (
            "share_image_url",
            "https://bib.example/media/abc/social.jpg",
        ),
        (
            "share_image_alt",
            "La façade de la médiathèque \"Jules Verne\"",
        ),
    ]);
    let html = chosen.get("/tutorials").text().unwrap();
    assert!(html.contains(
        "<meta property=\"og:image\" content=\"https://bib.example/media/abc/social.jpg\">"
    ));
    assert!(html.contains(
        "<meta property=\"og:image:alt\" content=\"La façade de la médiathèque &quot;Jules Verne&quot;\">"
    ));
}
