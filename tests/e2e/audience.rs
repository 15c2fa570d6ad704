//! Page views and participation end to end: views counted once per page view by `serve`,
//! whatever the component, with the referrer's network; robots, link previews, tools, `HEAD`,
//! prefetches and staff left out; the page's answer the same with and without counting; and
//! patrons' votes and answers per day. Read through `GET /api/analytics/views`.

use reqwest::blocking::Response;
use reqwest::header::{REFERER, USER_AGENT};
use serde_json::{Value, json};
use tests::TestApp;

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

fn created(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, 201, "{body}");
    body
}

/// A published showcase's path and an open poll's path.
fn pages(app: &TestApp) -> (String, String) {
    let showcase = created(app.post_json_as_admin(
        "/api/showcases",
        &json!({"kind": "playlist", "title": "Chansons d'hiver",
                "items": [{"type": "track", "title": "La Javanaise", "artist": "Serge Gainsbourg"}]}),
    ));
    let id = showcase["id"].as_str().unwrap();
    let published = app.post_json_as_admin(&format!("/api/showcases/{id}/publish"), &json!({}));
    assert_eq!(published.status(), 200);
    let poll = created(app.post_json_as_admin(
        "/api/polls",
        &json!({"question": "Quel livre lire cet hiver ?", "options": ["Germinal", "Nana"]}),
    ));
    (
        format!("/showcases/{id}"),
        format!("/polls/{}", poll["id"].as_str().unwrap()),
    )
}

fn open(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = app.request(reqwest::Method::GET, path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request)
}

fn views(app: &TestApp) -> Value {
    app.get_json_as_admin("/api/analytics/views")
}

fn page<'a>(views: &'a Value, path: &str) -> Option<&'a Value> {
    views["pages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|page| page["path"] == path)
}

/// The headers a cache or a browser acts on, which counting must leave alone.
fn cache_headers(response: &Response) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            matches!(
                name.as_str(),
                "cache-control" | "etag" | "vary" | "set-cookie" | "content-type"
            )
        })
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

#[test]
fn page_views_are_counted_once_without_cookies_and_with_their_source() {
    let app = TestApp::spawn();
    let (showcase, poll) = pages(&app);
    let before = views(&app);
    assert_eq!(before["total"], 0, "{before}");

    // Three browser views of each page.
    let mut bodies = Vec::new();
    for path in [&showcase, &poll] {
        for _ in 0..3 {
            let response = open(&app, path, &[("user-agent", FIREFOX)]);
            assert_eq!(response.status(), 200, "{path}");
            assert!(
                response.headers().get("set-cookie").is_none(),
                "{path}: counting sets no cookie"
            );
            bodies.push((
                path.clone(),
                cache_headers(&response),
                response.text().unwrap(),
            ));
        }
    }
    let counted = views(&app);
    assert_eq!(counted["total"], 6, "{counted}");
    assert_eq!(page(&counted, &showcase).unwrap()["total"], 3);
    assert_eq!(page(&counted, &showcase).unwrap()["by_source"]["direct"], 3);
    assert_eq!(page(&counted, &poll).unwrap()["total"], 3);

    // The same pages, not counted: the same headers and body as a counted view.
    let not_counted: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![(
            "user-agent",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        )],
        vec![(
            "user-agent",
            "http.rb/5.1.1 (Mastodon/4.3.2; +https://mastodon.social/)",
        )],
        vec![("user-agent", "curl/8.5.0")],
        vec![("user-agent", FIREFOX), ("sec-purpose", "prefetch")],
        vec![
            ("user-agent", FIREFOX),
            ("cookie", "kiosque_session=staff-browser"),
        ],
    ];
    for headers in &not_counted {
        let response = open(&app, &showcase, headers);
        assert_eq!(response.status(), 200, "{headers:?}");
        let (_, counted_headers, counted_body) = &bodies[0];
        if !headers.iter().any(|(name, _)| *name == "cookie") {
            assert_eq!(&cache_headers(&response), counted_headers, "{headers:?}");
            assert_eq!(&response.text().unwrap(), counted_body, "{headers:?}");
        }
        let response = open(&app, &poll, headers);
        assert_eq!(response.status(), 200, "{headers:?}");
    }
    let head = app.send(
        app.request(reqwest::Method::HEAD, &showcase)
            .header(USER_AGENT, FIREFOX),
    );
    assert_eq!(head.status(), 200);
    // A page that does not exist, an embed, an API answer: not views.
    let missing = open(&app, "/showcases/nothing-here", &[("user-agent", FIREFOX)]);
    assert_eq!(missing.status(), 404);
    assert_eq!(
        open(&app, &format!("{poll}/embed"), &[("user-agent", FIREFOX)]).status(),
        200
    );
    let still = views(&app);
    assert_eq!(still["total"], 6, "{still}");
    assert!(page(&still, "/showcases/nothing-here").is_none());
    assert_eq!(still["truncated"], false, "{still}");

    // The routers ignore trailing slashes: the page answers, and counts under its one path.
    for variant in [format!("{showcase}/"), format!("{showcase}//")] {
        let response = open(&app, &variant, &[("user-agent", FIREFOX)]);
        assert_eq!(response.status(), 200, "{variant}");
    }
    let slashed = views(&app);
    assert_eq!(page(&slashed, &showcase).unwrap()["total"], 5, "{slashed}");
    assert_eq!(slashed["pages"].as_array().unwrap().len(), 2, "{slashed}");

    // A browser revalidating the showcase it holds (304) is a view.
    let (_, etag) = bodies[0]
        .1
        .iter()
        .find(|(name, _)| name == "etag")
        .cloned()
        .expect("a showcase page carries an ETag");
    let again = open(
        &app,
        &showcase,
        &[("user-agent", FIREFOX), ("if-none-match", &etag)],
    );
    assert_eq!(again.status(), 304);
    assert_eq!(views(&app)["total"], 9);

    // From Bluesky, and from a Mastodon status on a server we do not list.
    let from_bluesky = app.send(
        app.request(reqwest::Method::GET, &poll)
            .header(USER_AGENT, FIREFOX)
            .header(REFERER, "https://bsky.app/profile/bib.example/post/3kabc"),
    );
    assert_eq!(from_bluesky.status(), 200);
    let from_mastodon = app.send(
        app.request(reqwest::Method::GET, &poll)
            .header(USER_AGENT, FIREFOX)
            .header(REFERER, "https://toot.example.org/@bib/113456789"),
    );
    assert_eq!(from_mastodon.status(), 200);
    let from_site = app.send(
        app.request(reqwest::Method::GET, &poll)
            .header(USER_AGENT, FIREFOX)
            .header(REFERER, app.url("/")),
    );
    assert_eq!(from_site.status(), 200);
    let sources = views(&app);
    let poll_views = page(&sources, &poll).unwrap();
    assert_eq!(poll_views["total"], 6, "{sources}");
    assert_eq!(poll_views["by_source"]["bluesky"], 1);
    assert_eq!(poll_views["by_source"]["mastodon"], 1);
    assert_eq!(poll_views["by_source"]["site"], 1);
    assert_eq!(
        sources["mastodon_servers"],
        json!([["toot.example.org", 1]])
    );
    let today = sources["days"].as_array().unwrap().last().unwrap();
    assert_eq!(today["by_source"]["bluesky"], 1, "{sources}");

    // Staff only, and a clear error for a bad range.
    assert_eq!(app.get("/api/analytics/views").status(), 401);
    let bad = app.admin(
        reqwest::Method::GET,
        "/api/analytics/views?from=2026-01-01&to=2026-06-01",
        None,
    );
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().unwrap();
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    let half = app.admin(
        reqwest::Method::GET,
        "/api/analytics/views?from=2026-01-01",
        None,
    );
    assert_eq!(half.status(), 400);
}

#[test]
fn votes_and_answers_show_in_participation() {
    let app = TestApp::spawn();
    let (_, poll) = pages(&app);
    let id = poll.trim_start_matches("/polls/");
    let first = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({"option": 0}),
        "kiosque_voter=e2e-voter-0000000000000001",
    );
    assert_eq!(first.status(), 201);
    // The same voter again is refused, and not a vote.
    let again = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({"option": 1}),
        "kiosque_voter=e2e-voter-0000000000000001",
    );
    assert_eq!(again.status(), 409);
    let second = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({"option": 1}),
        "kiosque_voter=e2e-voter-0000000000000002",
    );
    assert_eq!(second.status(), 201);

    let question = created(app.post_json_as_admin(
        "/api/questions",
        &json!({"text": "Quel livre vous a accompagné cet hiver ?"}),
    ));
    let qid = question["id"].as_str().unwrap();
    let answer = app.post_json(
        &format!("/api/questions/{qid}/answers"),
        &json!({"text": "Germinal", "consent": true}),
    );
    assert_eq!(answer.status(), 202);

    let read = views(&app);
    let days = read["participation"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let votes: u64 = days.iter().map(|d| d["votes"].as_u64().unwrap()).sum();
    let answers: u64 = days.iter().map(|d| d["answers"].as_u64().unwrap()).sum();
    assert_eq!((votes, answers), (2, 1), "{read}");
    assert_eq!(days.last().unwrap()["votes"], 2, "{read}");
}
