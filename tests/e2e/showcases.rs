//! Showcases and events end to end: staff build each kind of showcase and events through the
//! API; patrons see the pages, the exhibition rooms, the widgets, the feeds and calendars; the
//! home page gathers them. Feeds and `.ics` are parsed back.

use std::collections::BTreeMap;

use reqwest::blocking::Response;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp, time};

fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

fn error(response: Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn publish(app: &TestApp, path: &str) {
    let response = app.post_json_as_admin(&format!("{path}/publish"), &json!({}));
    assert_eq!(response.status(), 200, "{}", response.text().unwrap());
}

fn image(n: u32, alt: &str) -> Value {
    json!({"url": format!("https://img.example/{n}.jpg"), "width": 800, "height": 600,
           "alt": alt, "credit": "Archives municipales", "licence": "CC BY 4.0"})
}

fn exhibition() -> Value {
    json!({
        "kind": "exhibition",
        "title": "Affiches de la Belle Époque",
        "summary": "Une exposition en trois salles.",
        "introduction": "## Avant-propos\n\nDes affiches *restaurées*.",
        "items": [
            {"type": "room", "title": "Le théâtre", "introduction": "Les scènes.",
             "images": [image(1, "Affiche du Chat noir"), image(2, "Affiche d'un opéra")]},
            {"type": "room", "title": "La réclame", "images": [image(3, "Réclame pour du savon")]},
        ]
    })
}

fn html_of(app: &TestApp, path: &str) -> String {
    let response = app.get(path);
    assert_eq!(response.status(), 200, "{path}");
    response.text().unwrap()
}

/// The JSON-LD `@type`s of a page.
fn json_ld(html: &str) -> Value {
    let start = html
        .find("<script type=\"application/ld+json\">")
        .expect("JSON-LD")
        + "<script type=\"application/ld+json\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn staff_build_each_kind_and_patrons_see_only_published_pages() {
    let app = TestApp::spawn();
    let playlist = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "playlist", "title": "Chanson <française>", "summary": "Pour l'hiver",
                "items": [{"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg",
                           "duration_secs": 195, "streaming_url": "https://stream.example/j"}]}),
    ));
    let id = playlist["id"].as_str().unwrap().to_owned();
    assert_eq!(playlist["visibility"], "draft");
    // Drafts are never public: page, API and widget.
    for path in [
        format!("/showcases/{id}"),
        format!("/showcases/{id}/embed"),
        format!("/api/showcases/{id}"),
    ] {
        assert_eq!(app.get(&path).status(), 404, "{path}");
    }
    assert!(!html_of(&app, "/showcases").contains(&id));
    // Staff see the draft.
    assert_eq!(
        app.get_json_as_admin(&format!("/api/showcases/{id}"))["title"],
        "Chanson <française>"
    );

    publish(&app, &format!("/api/showcases/{id}"));
    let page = html_of(&app, &format!("/showcases/{id}"));
    assert!(
        page.contains("<h1>Chanson &lt;française&gt;</h1>"),
        "{page}"
    );
    assert!(!page.contains("<française>"));
    assert!(page.contains("3:15"));
    assert_eq!(json_ld(&page)["@type"], "MusicPlaylist");
    assert_eq!(json_ld(&page)["track"][0]["duration"], "PT3M15S");
    assert!(page.contains("<link rel=\"canonical\""));
    assert!(page.contains("&lt;iframe src=")); // the embed snippet, escaped in a textarea
    assert!(html_of(&app, "/showcases").contains(&format!("/showcases/{id}")));

    let books = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "book_extracts", "title": "Premières lignes",
                "items": [{"type": "book", "title": "L'Étranger", "authors": ["Albert Camus"],
                           "isbn": "978-2-07-036002-4", "extract": "Aujourd'hui, maman est morte.\n\n<script>alert(1)</script>",
                           "note": "Un <b>classique</b>",
                           "cover": image(9, "Couverture de L'Étranger")}]}),
    ));
    let books_id = books["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/showcases/{books_id}"));
    let page = html_of(&app, &format!("/showcases/{books_id}"));
    assert!(page.contains("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"));
    assert!(page.contains("Un &lt;b&gt;classique&lt;/b&gt;") && !page.contains("<script>alert"));
    let ld = json_ld(&page);
    assert_eq!(
        ld["mainEntity"]["itemListElement"][0]["item"]["@type"],
        "Book"
    );
    assert_eq!(
        ld["mainEntity"]["itemListElement"][0]["item"]["isbn"],
        "9782070360024"
    );
    assert!(page.contains(
        "<img src=\"https://img.example/9.jpg\" alt=\"Couverture de L'Étranger\" width=\"800\" height=\"600\" loading=\"lazy\""
    ));
    assert!(page.contains("<meta property=\"og:image\" content=\"https://img.example/9.jpg\">"));

    let films = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "film_picks", "title": "Ciné-club",
                "items": [{"type": "film", "title": "Le Voyage de Chihiro", "director": "Hayao Miyazaki",
                           "year": 2001, "duration_minutes": 125, "audience": "Tous publics",
                           "trailer_url": "https://www.youtube.com/watch?v=ByXuk9QqQkk"}]}),
    ));
    let films_id = films["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/showcases/{films_id}"));
    let ld = json_ld(&html_of(&app, &format!("/showcases/{films_id}")));
    let movie = &ld["mainEntity"]["itemListElement"][0]["item"];
    assert_eq!(
        (movie["@type"].as_str(), movie["duration"].as_str()),
        (Some("Movie"), Some("PT2H5M"))
    );

    let expo = created(app.post_json_as_admin("/api/showcases", &exhibition()));
    let expo_id = expo["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/showcases/{expo_id}"));
    let page = html_of(&app, &format!("/showcases/{expo_id}"));
    assert_eq!(json_ld(&page)["@type"], "ExhibitionEvent");
    assert_eq!(json_ld(&page)["location"]["@type"], "VirtualLocation");
    assert!(
        page.contains("<h4>Avant-propos</h4>"),
        "Markdown introduction"
    );
    let room = html_of(&app, &format!("/showcases/{expo_id}/rooms/1"));
    assert!(room.contains("<h1>Le théâtre</h1>"));
    assert!(room.contains("alt=\"Affiche du Chat noir\""));
    assert!(room.contains("Licence : CC BY 4.0"));
    assert!(room.contains(&format!("/showcases/{expo_id}/rooms/2\" rel=\"next\"")));
    assert_eq!(
        app.get(&format!("/showcases/{expo_id}/rooms/3")).status(),
        404
    );
    assert_eq!(
        app.get(&format!("/showcases/{expo_id}/rooms/0")).status(),
        404
    );
    // One address per room: other spellings of its number are no page (and no page view).
    for variant in ["01", "+1", "0001", "1.0", "%31"] {
        let response = app.get(&format!("/showcases/{expo_id}/rooms/{variant}"));
        assert_eq!(response.status(), 404, "{variant}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "{variant}: {content_type}"
        );
    }
    let english = html_of(&app, &format!("/showcases/{expo_id}/rooms/2?lang=en"));
    assert!(english.contains("Room 2 / 2") && english.contains("rel=\"prev\""));

    let widget = app.get(&format!("/showcases/{expo_id}/embed"));
    assert!(
        widget.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors *")
    );
    assert!(widget.text().unwrap().contains("target=\"_top\""));

    // One item at a time: add, replace, remove.
    let added = app.admin(
        reqwest::Method::POST,
        &format!("/api/showcases/{expo_id}/items"),
        Some(&json!({"type": "room", "title": "Le cirque", "images": [image(4, "Un clown")]})),
    );
    assert_eq!(added.status(), 201);
    assert_eq!(
        added.json::<Value>().unwrap()["items"][2]["title"],
        "Le cirque"
    );
    let (status, code, message) = error(app.admin(
        reqwest::Method::PUT,
        &format!("/api/showcases/{expo_id}/items/2"),
        Some(&json!({"type": "room", "title": "Le cirque", "images": [
            {"url": "https://img.example/4.jpg", "width": 800, "height": 600}]})),
    ));
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "invalid_showcase",
            "items[2].images[0].alt: every image needs alternative text describing it for patrons who cannot see it"
        )
    );
    let removed = app.admin(
        reqwest::Method::DELETE,
        &format!("/api/showcases/{expo_id}/items/2"),
        None,
    );
    assert_eq!(
        removed.json::<Value>().unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Reorder, then unpublish: gone again.
    let reordered = app.post_json_as_admin(
        &format!("/api/showcases/{expo_id}/order"),
        &json!({"order": [1, 0]}),
    );
    assert_eq!(
        reordered.json::<Value>().unwrap()["items"][0]["title"],
        "La réclame"
    );
    let response =
        app.post_json_as_admin(&format!("/api/showcases/{expo_id}/unpublish"), &json!({}));
    assert_eq!(response.status(), 200);
    assert_eq!(
        app.get(&format!("/showcases/{expo_id}/rooms/1")).status(),
        404
    );

    // Scheduled for later: not public yet.
    let response = app.post_json_as_admin(
        &format!("/api/showcases/{expo_id}/publish"),
        &json!({"at": "2099-01-01T09:00", "time_zone": "Europe/Paris"}),
    );
    assert_eq!(response.json::<Value>().unwrap()["visibility"], "scheduled");
    assert_eq!(app.get(&format!("/showcases/{expo_id}")).status(), 404);

    let list = app.get_json_as_admin("/api/showcases");
    assert_eq!(list["showcases"].as_array().unwrap().len(), 4);
}

#[test]
fn bad_input_gets_precise_errors() {
    let app = TestApp::spawn();
    let check = |body: Value, expected: (u16, &str, &str)| {
        let (status, code, message) = error(app.post_json_as_admin("/api/showcases", &body));
        assert_eq!(
            (status, code.as_str(), message.as_str()),
            expected,
            "{body}"
        );
    };
    check(
        json!({"kind": "book_extracts", "title": "x", "items": [
            {"type": "book", "title": "a", "extract": "b", "isbn": "978-2-07-036002-5"}]}),
        (
            400,
            "invalid_showcase",
            "items[0].isbn: checksum digit must be 4, got 5: check for a typing error",
        ),
    );
    let mut no_alt = exhibition();
    no_alt["items"][1]["images"][0]["alt"] = json!("  ");
    check(
        no_alt,
        (
            400,
            "invalid_showcase",
            "items[1].images[0].alt: every image needs alternative text describing it for patrons who cannot see it",
        ),
    );
    check(
        json!({"kind": "playlist", "title": "x", "summary": "s".repeat(501)}),
        (
            400,
            "invalid_showcase",
            "summary: must be at most 500 characters, got 501",
        ),
    );
    let (status, code, _) =
        error(app.post_json_as_admin("/api/showcases", &json!({"kind": "poster", "title": "x"})));
    assert_eq!((status, code.as_str()), (400, "invalid_json"));

    let (status, code, message) = error(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Atelier", "starts_at": "2026-12-12T16:00", "ends_at": "2026-12-12T14:00",
                "place": {"name": "Salle"}}),
    ));
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (
            400,
            "invalid_event",
            "ends_at: must be after starts_at (2026-12-12T15:00:00Z), got 2026-12-12T13:00:00Z"
        )
    );

    // No token, a form body, another site.
    let (status, code, _) = error(app.post_json("/api/showcases", &exhibition()));
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
    let form = app
        .client
        .post(app.url("/api/showcases"))
        .header(AUTHORIZATION, format!("Bearer {TEST_ADMIN_TOKEN}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("kind=playlist")
        .send()
        .unwrap();
    assert_eq!(error(form).0, 415);
    let cross = app
        .client
        .post(app.url("/api/showcases"))
        .header(AUTHORIZATION, format!("Bearer {TEST_ADMIN_TOKEN}"))
        .header("sec-fetch-site", "cross-site")
        .json(&exhibition())
        .send()
        .unwrap();
    assert_eq!(error(cross).0, 403);
    let (status, code, _) = error(app.admin(
        reqwest::Method::PUT,
        "/api/showcases/nosuch",
        Some(&exhibition()),
    ));
    assert_eq!((status, code.as_str()), (404, "showcase_not_found"));
    // Nothing was stored by the refused requests.
    assert_eq!(
        app.get_json_as_admin("/api/showcases")["showcases"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

/// An RFC 5545 reader for the test: CRLF lines of at most 75 octets, unfolded, unescaped.
fn parse_ics(ics: &str) -> Vec<(String, String)> {
    assert!(ics.ends_with("\r\n"));
    let mut lines: Vec<String> = Vec::new();
    for physical in ics[..ics.len() - 2].split("\r\n") {
        assert!(
            physical.len() <= 75,
            "{} octets: {physical}",
            physical.len()
        );
        assert!(!physical.contains('\n'), "bare LF");
        match physical.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None => lines.push(physical.to_owned()),
        }
    }
    lines
        .into_iter()
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            let mut out = String::new();
            let mut chars = value.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next().unwrap() {
                        'n' => out.push('\n'),
                        c => out.push(c),
                    },
                    ';' | ',' if name != "URL" => panic!("unescaped {c} in {line}"),
                    c => out.push(c),
                }
            }
            (name.to_owned(), out)
        })
        .collect()
}

/// A well-formedness check for feeds: tags balance, entities are known, no raw `<` in text.
fn check_xml(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map(|e| i + e + 1).expect("entity end")];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;"].contains(&entity),
                "entity {entity}"
            );
        }
        let close = open + rest[open..].find('>').expect("tag end");
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap().to_owned());
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

fn texts_of<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.match_indices(&open)
        .map(|(i, _)| {
            let start = i + open.len();
            &xml[start..start + xml[start..].find(&close).unwrap()]
        })
        .collect()
}

/// RFC 3339 in UTC, `hours` from now.
fn in_hours(hours: i64) -> String {
    time::rfc3339(time::unix_now() + hours * 3600)
}

#[test]
fn events_go_live_with_the_stream_and_feed_calendars() {
    let app = TestApp::spawn();
    let live = created(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Lecture, musique; et \\ débat", "description": "Ligne 1\nLigne 2",
                "starts_at": in_hours(-1), "ends_at": in_hours(1), "time_zone": "UTC",
                "place": {"name": "Auditorium", "address": "1 place de la Mairie"},
                "stream_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                "audience": "Adultes"}),
    ));
    let live_id = live["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/events/{live_id}")).status(),
        404,
        "draft"
    );
    publish(&app, &format!("/api/events/{live_id}"));

    let upcoming = created(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Atelier numérique", "starts_at": in_hours(48), "ends_at": in_hours(50),
                "online": true, "registration_url": "https://inscription.example/atelier"}),
    ));
    let upcoming_id = upcoming["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/events/{upcoming_id}"));
    let past = created(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Conférence passée", "starts_at": in_hours(-30), "ends_at": in_hours(-28),
                "place": {"name": "Salle"}, "replay_url": "https://peertube.example/w/9c9de5e8"}),
    ));
    let past_id = past["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/events/{past_id}"));

    // Live now: the stream is embedded the privacy-friendly way, and the CSP allows it.
    let page = app.get(&format!("/events/{live_id}"));
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-src https://www.youtube-nocookie.com"),
        "{csp}"
    );
    let html = page.text().unwrap();
    assert!(html.contains("En direct maintenant"));
    assert!(html.contains("<p class=\"when\">"), "{html}");
    assert!(html.contains("src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\""));
    let ld = json_ld(&html);
    assert_eq!(ld["@type"], "Event");
    assert_eq!(
        ld["eventAttendanceMode"],
        "https://schema.org/MixedEventAttendanceMode"
    );
    assert_eq!(ld["location"][1]["@type"], "VirtualLocation");

    // After: the replay.
    let html = html_of(&app, &format!("/events/{past_id}"));
    assert!(
        html.contains("src=\"https://peertube.example/videos/embed/9c9de5e8\""),
        "{html}"
    );

    let list = html_of(&app, "/events");
    let live_at = list.find("Lecture").unwrap();
    let next_at = list.find("Atelier numérique").unwrap();
    assert!(live_at < next_at);
    assert!(!list.contains("Conférence passée"));

    // One event's .ics, parsed back.
    let ics = app.get(&format!("/events/{live_id}/event.ics"));
    assert!(
        ics.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let props = parse_ics(&ics.text().unwrap());
    let get = |name: &str| {
        props
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get("SUMMARY"), "Lecture, musique; et \\ débat");
    assert!(get("DESCRIPTION").starts_with("Ligne 1\nLigne 2"));
    assert!(get("UID").starts_with(&format!("{live_id}@")));
    assert!(get("DTSTART").ends_with('Z') && get("DTSTAMP").ends_with('Z'));
    assert_eq!(
        get("LOCATION"),
        "Auditorium, 1 place de la Mairie (et en ligne / and online)"
    );

    // The subscribable feed has all three (past ones stay for subscribers), and revalidates.
    let response = app.get("/feeds/events.ics");
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let feed = parse_ics(&response.text().unwrap());
    let again = app
        .client
        .get(app.url("/feeds/events.ics"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        feed.iter()
            .filter(|(n, v)| n == "BEGIN" && v == "VEVENT")
            .count(),
        3
    );

    // RSS and Atom: well-formed, absolute links.
    for path in ["/feeds/events.rss", "/feeds/showcases.rss"] {
        let response = app.get(path);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/rss+xml")
        );
        let xml = response.text().unwrap();
        check_xml(&xml);
        for link in texts_of(&xml, "link") {
            assert!(
                link.starts_with("http://") || link.starts_with("https://"),
                "{link}"
            );
        }
    }
    let rss = app.get("/feeds/events.rss").text().unwrap();
    assert_eq!(texts_of(&rss, "item").len(), 2, "live and upcoming");
    let atom = app.get("/feeds/events.atom").text().unwrap();
    check_xml(&atom);
    assert!(atom.contains(&format!("/events/{upcoming_id}")));

    // Rescheduling moves the event; unpublishing hides it everywhere.
    let response = app.admin(
        reqwest::Method::PUT,
        &format!("/api/events/{upcoming_id}"),
        Some(
            &json!({"title": "Atelier numérique", "starts_at": in_hours(24 * 40),
                     "ends_at": in_hours(24 * 40 + 2), "online": true}),
        ),
    );
    assert_eq!(response.status(), 200);
    let response = app.post_json_as_admin(&format!("/api/events/{live_id}/unpublish"), &json!({}));
    assert_eq!(response.status(), 200);
    assert!(!html_of(&app, "/events").contains("Lecture"));
    assert!(html_of(&app, "/events").contains("Atelier numérique"));
    assert_eq!(
        app.get_json_as_admin("/api/events")["events"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn the_home_page_gathers_featured_showcases_live_events_polls_and_tutorials() {
    let app = TestApp::spawn();
    let expo = created(app.post_json_as_admin("/api/showcases", &exhibition()));
    let expo_id = expo["id"].as_str().unwrap().to_owned();
    let featured = app.post_json_as_admin(
        &format!("/api/showcases/{expo_id}/feature"),
        &json!({"featured": true}),
    );
    assert_eq!(featured.status(), 200);
    assert!(
        !html_of(&app, "/").contains(&expo_id),
        "a featured draft stays hidden"
    );
    publish(&app, &format!("/api/showcases/{expo_id}"));

    let live = created(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Concert en direct", "starts_at": in_hours(-1), "ends_at": in_hours(2),
                "online": true, "stream_url": "https://www.twitch.tv/mediatheque"}),
    ));
    publish(
        &app,
        &format!("/api/events/{}", live["id"].as_str().unwrap()),
    );
    let poll = created(app.post_json_as_admin(
        "/api/polls",
        &json!({"question": "Quel prochain thème ?", "options": ["Polar", "Jazz"]}),
    ));
    let poll_id = poll["id"].as_str().unwrap();

    let home = app.get("/");
    assert_eq!(home.status(), 200);
    let etag = home.headers()["etag"].to_str().unwrap().to_owned();
    assert!(
        home.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let html = home.text().unwrap();
    assert!(html.contains("À la une"));
    assert!(html.contains(&format!("href=\"/showcases/{expo_id}\"")));
    assert!(html.contains("En direct maintenant") && html.contains("Concert en direct"));
    assert!(html.contains(&format!("href=\"/polls/{poll_id}\"")));
    assert!(html.contains("Quel prochain thème ?"));
    assert!(html.contains("href=\"/tutorials\""));
    assert!(html.contains("href=\"/events\"") && html.contains("href=\"/showcases\""));
    // Feed readers discover the feeds from the page's head.
    assert!(html.contains("<link rel=\"alternate\" type=\"application/rss+xml\""));
    assert!(html.contains("/feeds/events.atom\">"));

    // A second visit with the ETag costs a 304 without a body.
    let again = app
        .client
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().unwrap().is_empty());

    // Unfeatured: gone from the home page, still in the list.
    app.post_json_as_admin(
        &format!("/api/showcases/{expo_id}/feature"),
        &json!({"featured": false}),
    );
    let html = html_of(&app, "/");
    assert!(!html.contains(&format!("href=\"/showcases/{expo_id}\"")));
    assert!(html_of(&app, "/showcases").contains(&format!("/showcases/{expo_id}")));
}

#[test]
fn books_link_to_the_catalogue_through_the_template() {
    let variables = BTreeMap::from([
        ("admin_token".to_string(), TEST_ADMIN_TOKEN.to_string()),
        (
            "catalogue_url_template".to_string(),
            "https://catalogue.example/recherche?isbn={isbn}".to_string(),
        ),
    ]);
    let app = TestApp::spawn_with_variables(variables);
    let books = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "book_extracts", "title": "Polars",
                "items": [{"type": "book", "title": "Pars vite et reviens tard",
                           "authors": ["Fred Vargas"], "isbn": "9780306406157", "extract": "Extrait."}]}),
    ));
    let id = books["id"].as_str().unwrap();
    publish(&app, &format!("/api/showcases/{id}"));
    let html = html_of(&app, &format!("/showcases/{id}"));
    assert!(
        html.contains("href=\"https://catalogue.example/recherche?isbn=9780306406157\""),
        "{html}"
    );
}

/// A book cover from the media library: the API checks the medium and stores its size, the
/// page shows its `page` rendition with width, height and the placement's alt text, the list
/// its thumbnail, and shared links its absolute `social` rendition.
#[test]
fn a_book_cover_from_the_media_library() {
    let app = TestApp::spawn();
    let uploaded = tests::images::library_medium(
        &app,
        "Couverture Nana.jpg",
        800,
        600,
        json!({"alt": "Une affiche rouge"}),
    );
    let medium = uploaded["id"].as_str().unwrap().to_owned();
    let page = &uploaded["renditions"]["page"];
    let (width, height) = (
        page["width"].as_u64().unwrap(),
        page["height"].as_u64().unwrap(),
    );

    let alt = "Couverture de Nana : une femme en robe rouge";
    let showcase = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "book_extracts", "title": "Zola en couvertures",
                "items": [{"type": "book", "title": "Nana", "authors": ["Émile Zola"],
                           "extract": "À neuf heures, la salle du théâtre des Variétés était encore vide.",
                           "cover": {"medium": medium, "alt": alt}}]}),
    ));
    let cover = &showcase["items"][0]["cover"];
    assert_eq!(
        cover["image"],
        json!({"medium": medium, "width": width, "height": height}),
        "{cover}"
    );
    assert_eq!(cover["alt"], alt);
    let id = showcase["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/showcases/{id}"));

    let html = html_of(&app, &format!("/showcases/{id}"));
    assert!(
        html.contains(&format!(
            "<img src=\"/media/{medium}/page.jpg\" alt=\"{}\" width=\"{width}\" height=\"{height}\" loading=\"lazy\"",
            alt.replace('\'', "&#39;")
        )),
        "{html}"
    );
    let og_start = html
        .find("<meta property=\"og:image\" content=\"")
        .expect("og:image");
    let og = html[og_start..].split_once('>').unwrap().0;
    assert!(
        og.contains("content=\"http") && og.ends_with(&format!("/media/{medium}/social.jpg\"")),
        "an absolute og:image: {og}"
    );
    let ld = json_ld(&html);
    let ld_image = ld["mainEntity"]["itemListElement"][0]["item"]["image"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        ld_image.starts_with("http") && ld_image.ends_with(&format!("/media/{medium}/page.jpg")),
        "{ld_image}"
    );
    // The address the page shows serves the picture.
    let served = app.get(&format!("/media/{medium}/page.jpg"));
    assert_eq!(served.status(), 200);
    // The list shows the card's thumbnail.
    let list = html_of(&app, "/showcases");
    assert!(
        list.contains(&format!("src=\"/media/{medium}/thumb.jpg\"")),
        "{list}"
    );

    // A medium the library does not hold is refused by its field; so is a missing alt.
    let (status, code, message) = error(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "book_extracts", "title": "x",
                "items": [{"type": "book", "title": "Nana", "extract": "e",
                           "cover": {"medium": "abcdefghijklmnop", "alt": "a"}}]}),
    ));
    assert_eq!(
        (status, code.as_str()),
        (400, "invalid_showcase"),
        "{message}"
    );
    assert!(
        message
            .starts_with("items[0].cover.medium: the media library has no medium abcdefghijklmnop"),
        "{message}"
    );
    let (status, _, message) = error(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "exhibition", "title": "x", "cover": {"medium": medium}}),
    ));
    assert_eq!(status, 400);
    assert!(message.starts_with("cover.alt: "), "{message}");

    // An event takes a library image the same way.
    let event = created(app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Lecture de Nana", "starts_at": in_hours(72), "ends_at": in_hours(74),
                "online": true, "image": {"medium": medium, "alt": "L'affiche de la lecture"}}),
    ));
    assert_eq!(event["image"]["image"]["width"], width, "{event}");
    let event_id = event["id"].as_str().unwrap().to_owned();
    publish(&app, &format!("/api/events/{event_id}"));
    let html = html_of(&app, &format!("/events/{event_id}"));
    assert!(
        html.contains(&format!("src=\"/media/{medium}/page.jpg\"")),
        "{html}"
    );
}
