//! The media library over HTTP: a phone photo uploaded in parts comes back upright, resized
//! and without its metadata at cached-for-ever addresses; hostile files are refused with
//! clear errors; only staff upload; completing an upload twice at once makes one medium.

use reqwest::Method;
use serde_json::{Value, json};
use tests::TestApp;
use tests::images::{
    PHOTO_SECRET, jpeg_html_polyglot, jpeg_segments, jpeg_size, phone_photo, png_declaring,
    put_part, send_parts, upload,
};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_phone_photo_uploaded_in_parts_is_served_upright_resized_and_without_metadata() {
    let app = TestApp::spawn();
    // Stored sideways (1600 wide) with "rotate to view": upright it is 1200 x 1600.
    let photo = phone_photo(1600, 1200);
    assert!(
        contains(&photo, PHOTO_SECRET),
        "the fixture carries its secret"
    );
    assert!(
        photo.len() > 1024 * 1024,
        "several parts: {} bytes",
        photo.len()
    );

    let (status, body) = upload(
        &app,
        "Exposition salle 2.jpg",
        &photo,
        json!({"credit": "Photo : Anne Martin", "licence": "cc_by"}),
    );
    assert_eq!(status, 201, "{body}");
    let medium = &body["medium"];
    assert_eq!(medium["width"], 1200, "{medium}");
    assert_eq!(medium["height"], 1600);
    assert_eq!(medium["format"], "jpeg");
    assert_eq!(medium["size"], photo.len());
    assert_eq!(medium["usable"], false, "no alt text yet");
    assert_eq!(medium["licence"], "cc_by");
    let id = medium["id"].as_str().unwrap().to_owned();

    let sizes = [
        ("thumb", 400),
        ("page", 1600),
        ("social", 2048),
        ("framed", 1440),
    ];
    for (name, fits) in sizes {
        let rendition = &medium["renditions"][name];
        let url = rendition["url"].as_str().unwrap().to_owned();
        assert_eq!(url, format!("/media/{id}/{name}.jpg"));
        let response = app.get(&url);
        assert_eq!(response.status(), 200, "{url}");
        let header = |h: &str| {
            response
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "image/jpeg");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(
            header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert!(header("content-disposition").starts_with("inline; filename="));
        assert!(header("content-disposition").ends_with(".jpg\""));
        assert!(header("content-security-policy").contains("sandbox"));
        let etag = header("etag");
        assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
        let bytes = response.bytes().unwrap().to_vec();
        assert_eq!(bytes.len() as u64, rendition["bytes"].as_u64().unwrap());

        // Upright (taller than wide), within its box, and nothing but the picture.
        let (w, h) = jpeg_size(&bytes);
        assert!(h > w, "{name} is upright: {w}x{h}");
        assert!(u32::from(h) <= fits, "{name} fits {fits}: {w}x{h}");
        assert_eq!(
            (u64::from(w), u64::from(h)),
            (
                rendition["width"].as_u64().unwrap(),
                rendition["height"].as_u64().unwrap()
            )
        );
        for (marker, payload) in jpeg_segments(&bytes) {
            assert!(
                !(0xE1..=0xEF).contains(&marker) && marker != 0xFE,
                "{name} has no EXIF, XMP, ICC or comment segment (found 0x{marker:02X}, {} bytes)",
                payload.len()
            );
        }
        assert!(
            !contains(&bytes, PHOTO_SECRET),
            "{name} carries no metadata"
        );
        assert!(!contains(&bytes, b"Exif"), "{name} carries no EXIF");
        if name == "framed" {
            // A 3:4 portrait is taller than Instagram's 4:5: a white frame widens it.
            assert_eq!((w, h), (1152, 1440), "framed to 4:5");
        }
        if name == "social" {
            assert!(
                bytes.len() < 1_000_000,
                "social fits Bluesky: {}",
                bytes.len()
            );
        }

        // A browser that holds it asks again for nothing.
        let again = app.send(
            app.request(Method::GET, &url)
                .header("if-none-match", &etag),
        );
        assert_eq!(again.status(), 304, "{url}");
        assert!(again.bytes().unwrap().is_empty());
    }

    // Staff describe it; the library lists it, newest first.
    let described = app.admin(
        Method::PUT,
        &format!("/api/media/{id}"),
        Some(&json!({"alt": "Deux visiteurs devant les gravures de la salle 2"})),
    );
    assert_eq!(described.status(), 200);
    let described: Value = described.json().unwrap();
    assert_eq!(described["medium"]["usable"], true);
    assert_eq!(described["medium"]["credit"], "Photo : Anne Martin");
    let list = app.get_json_as_admin("/api/media");
    assert_eq!(list["media"][0]["id"], json!(id));
    assert_eq!(list["next"], Value::Null);

    let too_long = app.admin(
        Method::PUT,
        &format!("/api/media/{id}"),
        Some(&json!({"alt": "x".repeat(1501)})),
    );
    assert_eq!(too_long.status(), 422);
    let too_long: Value = too_long.json().unwrap();
    assert_eq!(too_long["error"]["code"], "invalid_medium");
    assert_eq!(too_long["fields"][0]["field"], "alt");

    // Deleted: its addresses are gone at once.
    let deleted = app.admin(Method::DELETE, &format!("/api/media/{id}"), None);
    assert_eq!(deleted.status(), 204);
    let gone = app.get(&format!("/media/{id}/page.jpg"));
    assert_eq!(gone.status(), 404);
    assert!(
        gone.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "a page, not an image"
    );
}

#[test]
fn hostile_files_are_refused_with_clear_errors() {
    let app = TestApp::spawn();
    let refused = |filename: &str, file: &[u8], code: &str| {
        let (status, body) = upload(&app, filename, file, json!({}));
        assert_eq!(status, 422, "{filename}: {body}");
        assert_eq!(body["error"]["code"], code, "{filename}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.contains("panicked"),
            "{message}"
        );
        message.to_owned()
    };
    // 50,000 x 40,000 pixels declared in 57 bytes: refused before any decoding.
    let bomb = png_declaring(50_000, 40_000);
    assert!(bomb.len() < 100);
    let message = refused("affiche.png", &bomb, "too_many_pixels");
    assert!(
        message.contains("50000") || message.contains("pixels"),
        "{message}"
    );
    refused("photo.jpg", &jpeg_html_polyglot(), "polyglot_file");
    // Content decides, never the name.
    refused(
        "logo.png",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        "unsupported_image_type",
    );
    refused("vide.gif", b"GIF89a", "corrupt_image");

    // Not an image by its name: refused before any byte is sent.
    let svg = app.post_json_as_admin(
        "/api/media/uploads",
        &json!({"filename": "dessin.svg", "size": 100}),
    );
    assert_eq!(svg.status(), 422);
    let svg: Value = svg.json().unwrap();
    assert_eq!(svg["error"]["code"], "unsupported_image_type");
    let huge = app.post_json_as_admin(
        "/api/media/uploads",
        &json!({"filename": "scan.png", "size": 20 * 1024 * 1024 + 1}),
    );
    assert_eq!(huge.status(), 413);
    // Nothing of the refused files was kept.
    let list = app.get_json_as_admin("/api/media");
    assert_eq!(list["media"], json!([]));
}

#[test]
fn uploading_is_for_staff_and_parts_are_checked() {
    let app = TestApp::spawn();
    let anonymous = app.post_json(
        "/api/media/uploads",
        &json!({"filename": "a.jpg", "size": 10}),
    );
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.get("/api/media").status(), 401);

    let started = app.post_json_as_admin_ok(
        "/api/media/uploads",
        &json!({"filename": "a.jpg", "size": 600 * 1024}),
    );
    let id = started["upload"]["id"].as_str().unwrap().to_owned();
    // The part's size is checked, and its type.
    let short = put_part(&app, &id, 0, vec![0; 1000]);
    assert_eq!(short.status(), 422);
    let short: Value = short.json().unwrap();
    assert_eq!(short["error"]["code"], "wrong_part_size");
    let as_text = app.send(
        app.request(Method::PUT, &format!("/api/media/uploads/{id}/parts/1"))
            .bearer_auth(&app.admin_token)
            .header("content-type", "text/plain")
            .body(vec![b'a'; 600 * 1024 - 512 * 1024]),
    );
    assert_eq!(as_text.status(), 415);
    // Over the part cap: refused before it is read.
    let too_big = put_part(&app, &id, 0, vec![0; 512 * 1024 + 1]);
    assert_eq!(too_big.status(), 413);
    let out_of_range = put_part(&app, &id, 2, vec![0; 10]);
    assert_eq!(out_of_range.status(), 422);
    // Completing with a part missing says which.
    assert_eq!(put_part(&app, &id, 0, vec![0; 512 * 1024]).status(), 204);
    let incomplete =
        app.post_json_as_admin(&format!("/api/media/uploads/{id}/complete"), &json!({}));
    assert_eq!(incomplete.status(), 409);
    let incomplete: Value = incomplete.json().unwrap();
    assert_eq!(incomplete["error"]["code"], "missing_parts");
    // Abandoned: gone.
    let abandoned = app.admin(Method::DELETE, &format!("/api/media/uploads/{id}"), None);
    assert_eq!(abandoned.status(), 204);
    let after = put_part(&app, &id, 0, vec![0; 512 * 1024]);
    assert_eq!(after.status(), 404);
    // Addresses that name nothing.
    assert_eq!(app.get("/media/nothing/page.jpg").status(), 404);
    assert_eq!(app.get("/media/UPPER/page.jpg").status(), 404);
    assert_eq!(app.get("/media/abc/original.png").status(), 404);
}

#[test]
fn completing_one_upload_twice_at_once_makes_one_medium() {
    let app = TestApp::spawn_with_fakes(&[]);
    let id = send_parts(&app, "double clic.jpg", &phone_photo(1200, 900));
    let complete = || {
        let answer =
            app.post_json_as_admin(&format!("/api/media/uploads/{id}/complete"), &json!({}));
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().expect("a JSON answer"))
    };
    // A double click: both requests at once. One makes the medium (201); the other is told
    // the upload is being completed (409) or, if it came after, answers the same medium.
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(complete);
        let second = scope.spawn(complete);
        (first.join().unwrap(), second.join().unwrap())
    });
    let mut answers = [first, second];
    answers.sort_by_key(|(status, _)| *status);
    let medium = answers
        .iter()
        .find(|(status, _)| *status == 201)
        .map(|(_, body)| body["medium"]["id"].clone())
        .unwrap_or_else(|| panic!("one completion makes the medium: {answers:?}"));
    match &answers {
        [(200, same), (201, _)] => assert_eq!(same["medium"]["id"], medium, "{answers:?}"),
        [(201, _), (409, busy)] => assert_eq!(busy["error"]["code"], "upload_completing"),
        other => panic!("one 201 and a 200 or a 409: {other:?}"),
    }
    // Asked again later (a retry after a lost answer), the upload answers its medium.
    let (status, again) = complete();
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["medium"]["id"], medium);
    let list = app.get_json_as_admin("/api/media");
    assert_eq!(list["media"].as_array().unwrap().len(), 1, "{list}");
}
