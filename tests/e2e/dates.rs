//! Dates end to end: years at the ends of chrono's range are refused by every API that reads
//! a date (never a panic, which the host answers 500), and pages show times in the library's
//! own zone, saying which.

use std::collections::BTreeMap;

use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp};

const EXTREMES: [&str; 4] = [
    "+262143-01-01T00:00:00Z",
    "-262144-01-01T00:00:00Z",
    // Wall-clock times: in Tahiti (-10:00) the last one is past chrono's last instant in UTC.
    "+262143-12-31T23:00",
    "-262144-01-01T00:00",
];

/// A client error answered in JSON (`{"error": {"code", "message"}}`), not a 500.
fn refused(response: Response, what: &str) {
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .unwrap_or_else(|e| panic!("{what}: {status} without JSON: {e}"));
    assert!((400..500).contains(&status), "{what}: {status} {body}");
    assert!(body["error"]["code"].is_string(), "{what}: {body}");
}

#[test]
fn extreme_years_are_refused_by_every_api_that_reads_a_date() {
    let app = TestApp::spawn();
    let created = |path: &str, body: Value| -> String {
        let response = app.post_json_as_admin(path, &body);
        assert_eq!(response.status(), 201, "{path}");
        response.json::<Value>().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let showcase = created(
        "/api/showcases",
        json!({"kind": "playlist", "title": "Chanson", "items": [{"type": "track",
               "title": "La Javanaise", "artist": "Serge Gainsbourg", "duration_secs": 195,
               "streaming_url": "https://stream.example/j"}]}),
    );
    for at in EXTREMES {
        let json_at = json!(at);
        for (path, body) in [
            (
                format!("/api/showcases/{showcase}/publish"),
                json!({"at": at, "time_zone": "Pacific/Tahiti"}),
            ),
            (
                "/api/events".to_owned(),
                json!({"title": "Atelier", "starts_at": at, "ends_at": "2026-12-12T16:00",
                       "time_zone": "Pacific/Tahiti", "place": {"name": "Salle"}}),
            ),
            (
                "/api/polls".to_owned(),
                json!({"question": "Q ?", "options": ["a", "b"], "closes_at": json_at}),
            ),
            (
                "/api/contests".to_owned(),
                json!({"title": "Concours", "categories": [{"slug": "tous", "name": "Tous"}],
                       "submissions_open": "2026-12-01T00:00:00Z", "submissions_close": json_at}),
            ),
            (
                "/api/campaigns".to_owned(),
                json!({"name": "Polar", "description": "d", "starts_on": at.split('T').next(),
                       "ends_on": "2026-12-31", "hashtags": ["polar"]}),
            ),
            (
                "/api/posts/absent/schedule".to_owned(),
                json!({"at": at, "zone": "Pacific/Tahiti"}),
            ),
            (
                "/api/tutorials/absent/publish".to_owned(),
                json!({"at": at}),
            ),
        ] {
            refused(
                app.post_json_as_admin(&path, &body),
                &format!("{path} {at}"),
            );
        }
    }
    // The calendar and the registry's ranges read dates from the query.
    for query in [
        "/api/posts/calendar?month=%2B262143-12",
        "/api/posts/calendar?month=-262144-01",
        "/api/posts?from=2026-12-01&to=%2B262143-12-31",
    ] {
        let response = app.send(
            app.request(reqwest::Method::GET, query)
                .bearer_auth(&app.admin_token),
        );
        refused(response, query);
    }
}

#[test]
fn an_overseas_library_sees_its_own_time_on_poll_pages_and_in_the_console() {
    let app = TestApp::spawn_with_variables(BTreeMap::from([
        ("admin_token".to_owned(), TEST_ADMIN_TOKEN.to_owned()),
        ("library_time_zone".to_owned(), "Indian/Reunion".to_owned()),
    ]));
    let response = app.post_json_as_admin(
        "/api/polls",
        &json!({"question": "Bientôt ?", "options": ["a", "b"],
                "opens_at": "2099-07-14T08:30:00Z"}),
    );
    assert_eq!(response.status(), 201);
    let id = response.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    // 08:30 UTC is 12:30 in Réunion (UTC+4), 10:30 in Paris.
    assert!(
        html.contains("Ce sondage ouvrira le 14 juillet 2099 à 12 h 30 (heure de La Réunion)."),
        "{html}"
    );
    assert!(!html.contains("heure de Paris"), "{html}");
    let me = app.get_json_as_admin("/api/staff/me");
    assert_eq!(me["library_time_zone"], "Indian/Reunion", "{me}");
    assert_eq!(
        me["library_time_zone_label"]["fr"], "heure de La Réunion",
        "{me}"
    );
    // A wall-clock time typed without a zone is read in Réunion time too.
    let response = app.post_json_as_admin(
        "/api/events",
        &json!({"title": "Atelier", "starts_at": "2099-07-14T14:00", "ends_at": "2099-07-14T16:00",
                "place": {"name": "Salle"}}),
    );
    assert_eq!(response.status(), 201);
    let event = response.json::<Value>().unwrap();
    assert_eq!(event["starts_at"], "2099-07-14T10:00:00Z", "{event}");
}
