//! The polls slice end to end: the staff API, voting, results, the public
//! pages, persistence across a restart and concurrent votes.

use serde_json::{Value, json};
use tests::{TestApp, cookie_from};

fn new_poll(app: &TestApp, question: &str, options: &[&str]) -> Value {
    let response = app.post_json_as_admin(
        "/api/polls",
        &json!({ "question": question, "options": options }),
    );
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let poll: Value = response.json().unwrap();
    assert!(
        location.ends_with(&format!("/api/polls/{}", poll["id"].as_str().unwrap())),
        "{location}"
    );
    poll
}

fn error_code(response: reqwest::blocking::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "errors are JSON"
    );
    let body: Value = response.json().unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, body["error"]["code"].as_str().unwrap().to_string())
}

fn voter(n: usize) -> String {
    format!("kiosque_voter=e2e-voter-{n:016}")
}

#[test]
fn staff_create_a_poll_and_patrons_vote() {
    let app = TestApp::spawn();
    let poll = new_poll(
        &app,
        "Quel livre lire cet été ?",
        &["Germinal", "Les Misérables", "Madame Bovary"],
    );
    let id = poll["id"].as_str().unwrap();
    assert_eq!(
        poll["options"],
        json!(["Germinal", "Les Misérables", "Madame Bovary"])
    );
    assert_eq!(poll["url"], app.url(&format!("/polls/{id}")));

    let read: Value = app.get(&format!("/api/polls/{id}")).json().unwrap();
    assert_eq!(read["question"], "Quel livre lire cet été ?");

    // A first-time patron has no cookie: the vote gives one.
    let response = app.post_json(&format!("/api/polls/{id}/votes"), &json!({ "option": 1 }));
    assert_eq!(response.status(), 201);
    let cookie = cookie_from(&response, "kiosque_voter").expect("a voter cookie is set");
    let vote: Value = response.json().unwrap();
    assert_eq!(vote["results"]["counts"], json!([0, 1, 0]));

    // The same patron cannot vote twice, with any option.
    let again = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 2 }),
        &cookie,
    );
    assert_eq!(error_code(again), (409, "already_voted".to_string()));

    app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 1 }),
        &voter(1),
    );
    app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 0 }),
        &voter(2),
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 3);
    assert_eq!(results["options"][1]["text"], "Les Misérables");
    assert_eq!(results["options"][1]["votes"], 2);
    assert_eq!(results["options"][2]["votes"], 0);
}

#[test]
fn votes_survive_a_restart() {
    let mut app = TestApp::spawn();
    let poll = new_poll(
        &app,
        "Quel atelier samedi ?",
        &["Bande dessinée", "Origami"],
    );
    let id = poll["id"].as_str().unwrap();
    let response = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 1 }),
        &voter(7),
    );
    assert_eq!(response.status(), 201);

    if !app.restart() {
        eprintln!("restart: not applicable to an external instance; checked in-process only");
        return;
    }
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["options"][1]["votes"], 1);
    assert_eq!(results["total"], 1);
    let again = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 0 }),
        &voter(7),
    );
    assert_eq!(error_code(again), (409, "already_voted".to_string()));
}

#[test]
fn staff_api_needs_the_admin_token() {
    let app = TestApp::spawn();
    let body = json!({ "question": "Q ?", "options": ["a", "b"] });
    assert_eq!(
        error_code(app.post_json("/api/polls", &body)),
        (401, "unauthorized".to_string())
    );

    let wrong = app
        .client
        .post(app.url("/api/polls"))
        .bearer_auth("not-the-token")
        .json(&body)
        .send()
        .unwrap();
    assert!(
        wrong.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .starts_with("bearer")
    );
    let text = wrong.text().unwrap();
    assert!(
        !text.contains("not-the-token") && !text.contains(&app.admin_token),
        "never echo a token"
    );
    assert!(text.contains("\"unauthorized\""));
}

#[test]
fn bad_input_gets_a_clear_json_error() {
    let app = TestApp::spawn();
    let malformed = app
        .client
        .post(app.url("/api/polls"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body("{\"question\": ")
        .send()
        .unwrap();
    assert_eq!(error_code(malformed), (400, "invalid_json".to_string()));

    let one_option = app.post_json_as_admin(
        "/api/polls",
        &json!({ "question": "Q ?", "options": ["seule"] }),
    );
    let (status, _) = error_code(one_option);
    assert_eq!(status, 400);

    let poll = new_poll(&app, "Q ?", &["a", "b"]);
    let id = poll["id"].as_str().unwrap();
    let bad_option = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 9 }),
        &voter(1),
    );
    assert_eq!(error_code(bad_option), (400, "invalid_option".to_string()));
    let not_json = app.post_raw(
        &format!("/api/polls/{id}/votes"),
        "application/json",
        "option=1",
    );
    assert_eq!(error_code(not_json), (400, "invalid_json".to_string()));
    // Nothing was counted by the refused votes.
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 0);
}

#[test]
fn unknown_polls_and_routes_are_404() {
    let app = TestApp::spawn();
    assert_eq!(
        error_code(app.get("/api/polls/doesnotexist")),
        (404, "poll_not_found".to_string())
    );
    assert_eq!(error_code(app.get("/api/polls/abc/unknown/route")).0, 404);
    assert_eq!(error_code(app.get("/api/nothing-here")).0, 404);
    let page = app.get("/polls/doesnotexist");
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().unwrap();
    assert!(html.contains("<html lang=\"fr\""), "{html}");
}

#[test]
fn concurrent_votes_from_distinct_voters_are_all_counted() {
    let app = TestApp::spawn();
    let poll = new_poll(
        &app,
        "Votre horaire préféré ?",
        &["Matin", "Midi", "Soir", "Nuit"],
    );
    let id = poll["id"].as_str().unwrap().to_string();
    const VOTES: usize = 200;
    const CLIENTS: usize = 20;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (app, id) = (&app, &id);
            scope.spawn(move || {
                for n in (client..VOTES).step_by(CLIENTS) {
                    let response = app.post_json_with_cookie(
                        &format!("/api/polls/{id}/votes"),
                        &json!({ "option": n % 4 }),
                        &voter(n),
                    );
                    assert_eq!(response.status(), 201, "vote {n}");
                }
            });
        }
    });
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], VOTES);
    for option in 0..4 {
        assert_eq!(
            results["options"][option]["votes"],
            VOTES / 4,
            "option {option}"
        );
    }
}

#[test]
fn the_poll_page_works_without_javascript() {
    let app = TestApp::spawn();
    let poll = new_poll(
        &app,
        "Un <script>alert(1)</script> « piège » ?",
        &["Oui & non", "Peut-être"],
    );
    let id = poll["id"].as_str().unwrap();

    let page = app.get(&format!("/polls/{id}"));
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("<html lang=\"fr\""));
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "staff text is escaped"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Oui &amp; non"));
    assert!(html.contains(&format!("action=\"/polls/{id}/vote\"")));
    assert!(html.contains("<fieldset") && html.contains("<legend"));
    assert!(html.contains("property=\"og:title\"") && html.contains("application/ld+json"));
    assert!(html.contains("<main"));

    // Submitting the form: a redirect to the results, and a voter cookie.
    let response = app.post_form_with_cookie(&format!("/polls/{id}/vote"), "option=1", None);
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"].to_str().unwrap(),
        format!("/polls/{id}/results")
    );
    let cookie = cookie_from(&response, "kiosque_voter").expect("cookie");

    let results = app.get_with_cookie(&format!("/polls/{id}/results"), &cookie);
    assert_eq!(results.status(), 200);
    let html = results.text().unwrap();
    assert!(html.contains("<table") && html.contains("<caption") && html.contains("<svg"));
    assert!(html.contains("100"), "one vote of one is 100 %");

    // Voting again through the form is refused with a page, not a crash.
    let again = app.post_form_with_cookie(&format!("/polls/{id}/vote"), "option=0", Some(&cookie));
    assert_eq!(again.status(), 409);
    assert!(again.text().unwrap().contains("<html"));

    let english = app.get(&format!("/polls/{id}?lang=en")).text().unwrap();
    assert!(english.contains("<html lang=\"en\""));
}
