//! The polls slice end to end: the staff API, voting, results, the public
//! pages, persistence across a restart and concurrent votes.

use reqwest::blocking::Response;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};
use tests::{TEST_ADMIN_TOKEN, TestApp, cookie_from};

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
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "errors are problem details"
    );
    let body: Value = response.json().unwrap();
    assert!(
        body["detail"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["error"]["code"], body["code"], "{body}");
    (status, body["code"].as_str().unwrap().to_string())
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
        json!([{"text": "Germinal"}, {"text": "Les Misérables"}, {"text": "Madame Bovary"}])
    );
    assert_eq!(poll["kind"], "single");
    assert_eq!(poll["status"], "open");
    assert!(
        poll["embed_html"]
            .as_str()
            .unwrap()
            .starts_with("<iframe src=\"")
    );
    assert_eq!(poll["url"], app.url(&format!("/polls/{id}")));

    let read: Value = app.get(&format!("/api/polls/{id}")).json().unwrap();
    assert_eq!(read["question"], "Quel livre lire cet été ?");

    // A first-time patron has no cookie: the vote gives one.
    let response = app.post_json(&format!("/api/polls/{id}/votes"), &json!({ "option": 1 }));
    assert_eq!(response.status(), 201);
    let cookie = cookie_from(&response, "kiosque_voter").expect("a voter cookie is set");
    let vote: Value = response.json().unwrap();
    let votes: Vec<&Value> = vote["results"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["votes"])
        .collect();
    assert_eq!(votes, [&json!(0), &json!(1), &json!(0)]);

    // The same patron cannot vote twice, with any option.
    let again = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 2 }),
        &cookie,
    );
    assert_eq!(error_code(again), (409, "already_voted".to_string()));

    for (n, option) in [(1, 1), (2, 0)] {
        let response = app.post_json_with_cookie(
            &format!("/api/polls/{id}/votes"),
            &json!({ "option": option }),
            &voter(n),
        );
        assert_eq!(response.status(), 201, "voter {n}");
    }
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
    assert_eq!(error_code(one_option), (400, "invalid_poll".to_string()));

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
    // All the votes come from one address: without the limit they would be refused as
    // scripted voting, which is the limiter's job, tested on its own below.
    let app = app_with(&[("rate_limit_votes", "0/0")]);
    let poll = new_poll(
        &app,
        "Votre horaire préféré ?",
        &["Matin", "Midi", "Soir", "Nuit"],
    );
    let id = poll["id"].as_str().unwrap().to_string();
    const VOTES: usize = 500;
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
        format!("/polls/{id}/results?vote=ok")
    );
    let cookie = cookie_from(&response, "kiosque_voter").expect("cookie");

    let results = app.get_with_cookie(&format!("/polls/{id}/results?vote=ok"), &cookie);
    assert_eq!(results.status(), 200);
    let html = results.text().unwrap();
    assert!(html.contains("<table") && html.contains("<caption") && html.contains("<svg"));
    assert!(
        html.contains("<tr><th scope=\"row\">Peut-être</th><td>1</td><td>100\u{202f}%</td></tr>"),
        "one vote of one is 100 %: {html}"
    );
    assert!(
        html.contains("<tr><th scope=\"row\">Oui &amp; non</th><td>0</td><td>0\u{202f}%</td></tr>")
    );
    assert!(
        html.contains("<p class=\"notice\" role=\"status\">Merci, votre vote est enregistré.</p>")
    );
    // The chart is one image named by its title alone; the table is its text equivalent.
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"chart-title\""));
    assert!(!html.contains("viewBox"), "chart text is never scaled down");

    // The thanks appear only after our own redirect, and the marker is never echoed.
    for query in ["", "?vote=no", "?vote=%3Cscript%3E"] {
        let html = app
            .get(&format!("/polls/{id}/results{query}"))
            .text()
            .unwrap();
        assert!(!html.contains("Merci, votre vote"), "{query}");
        assert!(!html.contains("<script>"), "{query}");
    }

    // Voting again through the form is refused with a page, not a crash, which does not
    // claim more than it knows.
    let again = app.post_form_with_cookie(&format!("/polls/{id}/vote"), "option=0", Some(&cookie));
    assert_eq!(again.status(), 409);
    let html = again.text().unwrap();
    assert!(html.contains("<html"));
    assert!(html.contains("vous avez déjà voté à ce sondage depuis ce navigateur"));
    assert!(!html.contains("bien compté"));

    let english = app.get(&format!("/polls/{id}?lang=en")).text().unwrap();
    assert!(english.contains("<html lang=\"en\""));
    assert!(english.contains(&format!(
        "<a href=\"/polls/{id}?lang=fr\" hreflang=\"fr\" lang=\"fr\">Version française</a>"
    )));
    // Polls are written in French: on English pages their text says so.
    assert!(english.contains(
        "<h1 id=\"question\" lang=\"fr\">Un &lt;script&gt;alert(1)&lt;/script&gt; « piège » ?</h1>"
    ));
    assert!(english.contains("<label for=\"option-0\" lang=\"fr\">Oui &amp; non</label>"));
    let english = app
        .get(&format!("/polls/{id}/results?lang=en"))
        .text()
        .unwrap();
    assert!(english.contains("<tr><th scope=\"row\" lang=\"fr\">Peut-être</th><td>1</td>"));
}

#[test]
fn the_question_labels_the_answers() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Quel conte ?", &["Cendrillon", "Le Petit Poucet"]);
    let id = poll["id"].as_str().unwrap();
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(
        html.contains("<legend><h1 id=\"question\">Quel conte ?</h1></legend>"),
        "{html}"
    );
    assert!(
        !html.contains(" lang=\"fr\">Quel conte"),
        "no lang needed on French pages"
    );
}

#[test]
fn a_poll_without_votes_shows_zero() {
    let app = TestApp::spawn();
    let poll = new_poll(
        &app,
        "Quel jour pour le club lecture ?",
        &["Mardi", "Jeudi"],
    );
    let id = poll["id"].as_str().unwrap();
    let page = app.get(&format!("/polls/{id}/results"));
    assert_eq!(page.status(), 200);
    let html = page.text().unwrap();
    assert!(html.contains("<p class=\"total\">0 vote</p>"), "{html}");
    assert!(html.contains("<tr><th scope=\"row\">Mardi</th><td>0</td><td>0\u{202f}%</td></tr>"));
    assert!(html.contains("<tfoot><tr><th scope=\"row\">Total</th><td>0</td>"));
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 0);
}

#[test]
fn one_browser_double_submitting_counts_once() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Double clic ?", &["Oui", "Non"]);
    let id = poll["id"].as_str().unwrap().to_string();
    let cookie = voter(99);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (app, id, cookie) = (&app, &id, &cookie);
                scope.spawn(move || {
                    app.post_json_with_cookie(
                        &format!("/api/polls/{id}/votes"),
                        &json!({ "option": 0 }),
                        cookie,
                    )
                    .status()
                    .as_u16()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("voting thread"))
            .collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 409),
        "{statuses:?}"
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 1);
    assert_eq!(results["options"][0]["votes"], 1);
}

#[test]
fn the_voter_cookie_is_private_to_the_site() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Cookie ?", &["Oui", "Non"]);
    let id = poll["id"].as_str().unwrap();
    let response = app.post_json(&format!("/api/polls/{id}/votes"), &json!({ "option": 0 }));
    assert_eq!(response.status(), 201);
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_string();
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(attributes[0].starts_with("kiosque_voter="), "{set_cookie}");
    for expected in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attributes.contains(&expected), "{expected} in {set_cookie}");
    }
    if app.base_url.starts_with("http://127.0.0.1") {
        // Browsers drop Secure cookies on plain-http localhost during development.
        assert!(!attributes.contains(&"Secure"), "{set_cookie}");
    }
}

#[test]
fn split_cookie_headers_keep_the_voter() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Plusieurs cookies ?", &["Oui", "Non"]);
    let id = poll["id"].as_str().unwrap();
    let cookie = voter(5);
    let first = app.post_json_with_cookie(
        &format!("/api/polls/{id}/votes"),
        &json!({ "option": 0 }),
        &cookie,
    );
    assert_eq!(first.status(), 201);
    // HTTP/2 clients send each cookie in its own field; none may be lost.
    let page = app
        .client
        .get(app.url(&format!("/polls/{id}")))
        .header(COOKIE, "theme=dark")
        .header(COOKIE, cookie.as_str())
        .header(COOKIE, "lang=fr")
        .send()
        .unwrap();
    assert!(page.text().unwrap().contains("Vous avez déjà voté."));
    let again = app
        .client
        .post(app.url(&format!("/polls/{id}/vote")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, cookie.as_str())
        .header(COOKIE, "theme=dark")
        .body("option=1")
        .send()
        .unwrap();
    assert_eq!(again.status(), 409);
}

/// Votes for option 0 through the API as voter `n`, with extra headers.
fn vote_with(app: &TestApp, id: &str, n: usize, headers: &[(&str, &str)]) -> Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/polls/{id}/votes")))
        .header(COOKIE, voter(n))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "option": 0 }).to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().unwrap()
}

#[test]
fn other_sites_cannot_vote_for_a_patron() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Origine ?", &["Ici", "Ailleurs"]);
    let id = poll["id"].as_str().unwrap();

    // The API: a browser says the request comes from elsewhere.
    let refused = vote_with(&app, id, 1, &[("sec-fetch-site", "cross-site")]);
    assert_eq!(error_code(refused), (403, "forbidden".to_string()));
    let refused = vote_with(&app, id, 2, &[("origin", "https://evil.example")]);
    assert_eq!(error_code(refused), (403, "forbidden".to_string()));
    let refused = vote_with(&app, id, 3, &[("origin", "null")]);
    assert_eq!(error_code(refused), (403, "forbidden".to_string()));

    // A body that is not declared as JSON (what a cross-site form can send) is not read.
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let response = app
            .client
            .post(app.url(&format!("/api/polls/{id}/votes")))
            .header(COOKIE, voter(4))
            .header(CONTENT_TYPE, content_type)
            .body(r#"{"option": 0}"#)
            .send()
            .unwrap();
        assert_eq!(
            error_code(response),
            (415, "unsupported_media_type".to_string()),
            "{content_type}"
        );
    }
    let not_json = app
        .client
        .post(app.url("/api/polls"))
        .bearer_auth(&app.admin_token)
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"question": "Q ?", "options": ["a", "b"]}"#)
        .send()
        .unwrap();
    assert_eq!(
        error_code(not_json),
        (415, "unsupported_media_type".to_string())
    );
    let cross_site_create = app
        .client
        .post(app.url("/api/polls"))
        .bearer_auth(&app.admin_token)
        .header(ORIGIN, "https://evil.example")
        .json(&json!({ "question": "Q ?", "options": ["a", "b"] }))
        .send()
        .unwrap();
    assert_eq!(
        error_code(cross_site_create),
        (403, "forbidden".to_string())
    );

    // The form: an HTML page, and no cookie handed out.
    let form = app
        .client
        .post(app.url(&format!("/polls/{id}/vote")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body("option=1")
        .send()
        .unwrap();
    assert_eq!(form.status(), 403);
    assert!(form.headers().get(SET_COOKIE).is_none());
    assert!(
        form.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(form.text().unwrap().contains("Action refusée"));

    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 0, "nothing refused was counted");

    // Our own pages pass: same-origin fetch metadata, and an Origin naming our host.
    let ours = vote_with(
        &app,
        id,
        6,
        &[("sec-fetch-site", "same-origin"), ("origin", &app.base_url)],
    );
    assert_eq!(ours.status(), 201);
    let form = app
        .client
        .post(app.url(&format!("/polls/{id}/vote")))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, voter(7))
        .header(ORIGIN, app.base_url.as_str())
        .body("option=1")
        .send()
        .unwrap();
    assert_eq!(form.status(), 303);
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["total"], 2);
}

/// An in-process app with extra Spin variables.
fn app_with(variables: &[(&str, &str)]) -> TestApp {
    let mut all = std::collections::BTreeMap::from([(
        "admin_token".to_string(),
        TEST_ADMIN_TOKEN.to_string(),
    )]);
    for (name, value) in variables {
        all.insert(name.to_string(), value.to_string());
    }
    TestApp::spawn_with_variables(all)
}

fn create(app: &TestApp, body: Value) -> Value {
    let response = app.post_json_as_admin("/api/polls", &body);
    assert_eq!(response.status(), 201, "{body}");
    response.json().unwrap()
}

fn admin(app: &TestApp, method: reqwest::Method, path: &str) -> Response {
    app.client
        .request(method, app.url(path))
        .bearer_auth(&app.admin_token)
        .send()
        .unwrap()
}

fn vote_json(app: &TestApp, id: &str, n: usize, body: Value) -> Response {
    app.post_json_with_cookie(&format!("/api/polls/{id}/votes"), &body, &voter(n))
}

#[test]
fn every_kind_is_voted_and_counted() {
    let app = TestApp::spawn();
    let multiple = create(
        &app,
        json!({"question": "Quels genres ?", "options": ["Polar", "BD", "Poésie"],
        "kind": "multiple", "min_choices": 1, "max_choices": 2}),
    );
    let id = multiple["id"].as_str().unwrap();
    assert_eq!(
        (
            multiple["min_choices"].as_u64(),
            multiple["max_choices"].as_u64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        vote_json(&app, id, 1, json!({"options": [0, 2]})).status(),
        201
    );
    assert_eq!(
        vote_json(&app, id, 2, json!({"options": [0]})).status(),
        201
    );
    assert_eq!(
        error_code(vote_json(&app, id, 3, json!({"options": [0, 1, 2]}))),
        (400, "invalid_ballot".into())
    );
    assert_eq!(
        error_code(vote_json(&app, id, 3, json!({"option": 0}))),
        (400, "invalid_ballot".into())
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["method"], "approval");
    assert_eq!(results["ballots"], 2);
    assert_eq!(results["options"][0]["votes"], 2);
    assert_eq!(results["options"][0]["percent"], 100.0);

    let ranked = create(
        &app,
        json!({"question": "Classez", "options": ["A", "B", "C"], "kind": "ranked"}),
    );
    let id = ranked["id"].as_str().unwrap();
    assert_eq!(
        vote_json(&app, id, 1, json!({"ranking": [2, 0, 1]})).status(),
        201
    );
    assert_eq!(
        vote_json(&app, id, 2, json!({"ranking": [0]})).status(),
        201
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["method"], "borda");
    let points: Vec<u64> = (0..3)
        .map(|i| results["options"][i]["points"].as_u64().unwrap())
        .collect();
    assert_eq!(points, [2 + 1, 1, 3]);
    assert_eq!(results["options"][2]["rank"], 1);
    assert_eq!(results["options"][0]["percent"], 42.9);
    assert_eq!(results["options"][2]["percent"], 42.9);
    let page = app.get(&format!("/polls/{id}/results")).text().unwrap();
    assert!(page.contains("méthode de Borda"), "{page}");
    // The table gives the share of points too (3 of 7).
    assert!(
        page.contains("<th scope=\"col\">Part des points</th>"),
        "{page}"
    );
    assert!(
        page.contains("<td>1</td><td>3</td><td>42,9\u{202f}%</td>"),
        "{page}"
    );
    let form = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(form.contains("<select name=\"rank-0\" id=\"rank-0\">"));
    // The ranked form: ranks 2 and 1, one answer left out.
    let response = app.post_form_with_cookie(
        &format!("/polls/{id}/vote"),
        "rank-0=2&rank-1=1&rank-2=",
        Some(&voter(3)),
    );
    assert_eq!(response.status(), 303);
    let response = app.post_form_with_cookie(
        &format!("/polls/{id}/vote"),
        "rank-0=1&rank-1=1",
        Some(&voter(4)),
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(
        html.contains("aria-describedby=\"choice-hint vote-error\""),
        "{html}"
    );
    assert!(html.contains("<p id=\"vote-error\" class=\"error\">"));

    let mj = create(
        &app,
        json!({"question": "Jugez", "options": ["Conte", "Atelier"], "kind": "majority"}),
    );
    let id = mj["id"].as_str().unwrap();
    for (n, grades) in [[3, 4], [3, 1], [4, 3], [2, 3]].iter().enumerate() {
        assert_eq!(
            vote_json(&app, id, n, json!({ "grades": grades })).status(),
            201
        );
    }
    assert_eq!(
        error_code(vote_json(&app, id, 9, json!({"grades": [6, 0]}))),
        (400, "invalid_ballot".into())
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["method"], "majority_judgment");
    assert_eq!(results["options"][0]["grades"], json!([0, 0, 1, 2, 1, 0]));
    assert_eq!(results["options"][0]["majority_grade_fr"], "Assez bien");
    assert_eq!(results["options"][0]["rank"], 1);
    assert_eq!(results["options"][1]["rank"], 2);
    let form = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(
        form.contains("<fieldset class=\"grades\"><legend>Conte</legend>"),
        "{form}"
    );
    assert!(form.contains("<label for=\"grade-1-5\">Très bien</label>"));
    let response = app.post_form_with_cookie(
        &format!("/polls/{id}/vote"),
        "grade-0=5&grade-1=0",
        Some(&voter(5)),
    );
    assert_eq!(response.status(), 303);
    let page = app
        .get(&format!("/polls/{id}/results?lang=en"))
        .text()
        .unwrap();
    assert!(page.contains("Majority judgment"), "{page}");
    assert!(page.contains("<th scope=\"col\">Majority grade</th>"));
}

#[test]
fn staff_manage_a_poll_from_draft_to_deletion() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "Brouillon ?", "options": ["a", "b"], "draft": true}),
    );
    let id = poll["id"].as_str().unwrap();
    assert_eq!(poll["status"], "draft");
    // Drafts are invisible to the public.
    assert_eq!(app.get(&format!("/polls/{id}")).status(), 404);
    assert_eq!(error_code(app.get(&format!("/api/polls/{id}"))).0, 404);
    let listed = |status: &str| -> Vec<String> {
        let list: Value = admin(
            &app,
            reqwest::Method::GET,
            &format!("/api/polls?status={status}"),
        )
        .json()
        .unwrap();
        list["polls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed("draft"), [id]);
    assert!(listed("open").is_empty());
    let all: Value = admin(&app, reqwest::Method::GET, "/api/polls")
        .json()
        .unwrap();
    assert_eq!(all["next_page"], Value::Null, "{all}");
    assert_eq!(
        error_code(admin(&app, reqwest::Method::GET, "/api/polls?page=0")),
        (400, "invalid_poll".into())
    );
    assert_eq!(error_code(app.get("/api/polls")).0, 401);
    assert_eq!(
        error_code(admin(&app, reqwest::Method::GET, "/api/polls?status=nope")),
        (400, "invalid_poll".into())
    );

    // Edit before any vote.
    let edited = app
        .client
        .put(app.url(&format!("/api/polls/{id}")))
        .bearer_auth(&app.admin_token)
        .json(&json!({"question": "Vraie question ?", "options": ["x", "y", "z"], "draft": true}))
        .send()
        .unwrap();
    assert_eq!(edited.status(), 200);
    let opened: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/polls/{id}/open"),
    )
    .json()
    .unwrap();
    assert_eq!(opened["status"], "open");
    assert_eq!(listed("open"), [id]);
    assert_eq!(vote_json(&app, id, 1, json!({"option": 2})).status(), 201);
    let again = app
        .client
        .put(app.url(&format!("/api/polls/{id}")))
        .bearer_auth(&app.admin_token)
        .json(&json!({"question": "Trop tard ?", "options": ["x", "y"]}))
        .send()
        .unwrap();
    assert_eq!(error_code(again), (409, "poll_has_votes".into()));

    let closed: Value = admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/polls/{id}/close"),
    )
    .json()
    .unwrap();
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        error_code(vote_json(&app, id, 2, json!({"option": 0}))),
        (409, "poll_closed".into())
    );
    assert!(
        app.get(&format!("/polls/{id}"))
            .text()
            .unwrap()
            .contains("Ce sondage est clos.")
    );
    assert_eq!(listed("closed"), [id]);

    assert_eq!(
        admin(&app, reqwest::Method::DELETE, &format!("/api/polls/{id}")).status(),
        204
    );
    assert_eq!(app.get(&format!("/polls/{id}")).status(), 404);
    assert_eq!(app.get(&format!("/polls/{id}/results")).status(), 404);
    assert_eq!(
        error_code(app.get(&format!("/api/polls/{id}/results"))).0,
        404
    );
    assert!(listed("closed").is_empty());
    assert_eq!(
        error_code(admin(
            &app,
            reqwest::Method::DELETE,
            &format!("/api/polls/{id}")
        ))
        .0,
        404
    );
}

#[test]
fn an_upcoming_poll_says_when_it_opens_in_paris_time() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "Bientôt ?", "options": ["a", "b"],
        "opens_at": "2099-07-14T08:30:00Z"}),
    );
    let id = poll["id"].as_str().unwrap();
    assert_eq!(poll["status"], "upcoming");
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(
        html.contains("Ce sondage ouvrira le 14 juillet 2099 à 10 h 30 (heure de Paris)."),
        "{html}"
    );
    assert!(!html.contains("<form method=\"post\""));
    assert_eq!(
        error_code(vote_json(&app, id, 1, json!({"option": 0}))),
        (409, "poll_not_open".into())
    );
}

#[test]
fn invitation_codes_work_once() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "Atelier ?", "options": ["a", "b"], "voter_method": "codes"}),
    );
    let id = poll["id"].as_str().unwrap();
    let response = app.post_json_as_admin(&format!("/api/polls/{id}/codes"), &json!({"count": 3}));
    assert_eq!(response.status(), 201);
    let codes: Value = response.json().unwrap();
    let codes: Vec<String> = codes["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 3);
    assert_eq!(
        error_code(app.post_json_as_admin(&format!("/api/polls/{id}/codes"), &json!({"count": 0})))
            .0,
        400
    );
    assert_eq!(
        error_code(app.post_json(&format!("/api/polls/{id}/codes"), &json!({"count": 1}))).0,
        401
    );

    // Two patrons on one tablet: the codes, not the cookie, tell them apart.
    assert_eq!(
        vote_json(
            &app,
            id,
            1,
            json!({"option": 0, "code": codes[0].to_lowercase()})
        )
        .status(),
        201
    );
    assert_eq!(
        vote_json(&app, id, 1, json!({"option": 1, "code": codes[1]})).status(),
        201
    );
    assert_eq!(
        error_code(vote_json(
            &app,
            id,
            2,
            json!({"option": 1, "code": codes[0]})
        )),
        (409, "already_voted".into())
    );
    assert_eq!(
        error_code(vote_json(
            &app,
            id,
            2,
            json!({"option": 1, "code": "ZZZZZ-ZZZZZ"})
        )),
        (403, "invalid_code".into())
    );
    assert_eq!(
        error_code(vote_json(&app, id, 2, json!({"option": 1}))),
        (403, "invalid_code".into())
    );
    // The form ties a bad code to its field.
    let response = app.post_form_with_cookie(
        &format!("/polls/{id}/vote"),
        "option=0&code=nope",
        Some(&voter(3)),
    );
    assert_eq!(response.status(), 400);
    let html = response.text().unwrap();
    assert!(
        html.contains("aria-describedby=\"code-hint code-error\" aria-invalid=\"true\""),
        "{html}"
    );
    let response = app.post_form_with_cookie(
        &format!("/polls/{id}/vote"),
        &format!("option=0&code={}", codes[2]),
        Some(&voter(3)),
    );
    assert_eq!(response.status(), 303);
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["ballots"], 3);

    let cookie_poll = new_poll(&app, "Cookie ?", &["a", "b"]);
    let other = cookie_poll["id"].as_str().unwrap();
    assert_eq!(
        error_code(
            app.post_json_as_admin(&format!("/api/polls/{other}/codes"), &json!({"count": 1}))
        ),
        (409, "wrong_voter_method".into())
    );
}

#[test]
fn card_numbers_need_the_key_and_vote_once() {
    let without_key = TestApp::spawn();
    let refused = without_key.post_json_as_admin(
        "/api/polls",
        &json!({"question": "Carte ?", "options": ["a", "b"], "voter_method": "card"}),
    );
    assert_eq!(error_code(refused), (400, "card_hash_key_missing".into()));

    let app = app_with(&[("card_hash_key", "a-long-random-secret-for-tests")]);
    let poll = create(
        &app,
        json!({"question": "Carte ?", "options": ["a", "b"], "voter_method": "card",
        "card_format": {"min_length": 8, "max_length": 8, "charset": "digits"}}),
    );
    let id = poll["id"].as_str().unwrap();
    assert_eq!(
        vote_json(&app, id, 1, json!({"option": 0, "card": "1234 5678"})).status(),
        201
    );
    assert_eq!(
        error_code(vote_json(
            &app,
            id,
            2,
            json!({"option": 1, "card": "1234-5678"})
        )),
        (409, "already_voted".into())
    );
    assert_eq!(
        error_code(vote_json(
            &app,
            id,
            2,
            json!({"option": 1, "card": "12345"})
        )),
        (400, "invalid_card".into())
    );
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(
        html.contains("<label for=\"card\">Numéro de votre carte de bibliothèque</label>"),
        "{html}"
    );
}

#[test]
fn results_visibility_and_the_staff_csv() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "Secret, \"vraiment\" ?", "options": ["=1+1", "Oui, bien sûr"],
        "results_visibility": "after_close"}),
    );
    let id = poll["id"].as_str().unwrap();
    let response = vote_json(&app, id, 1, json!({"option": 1}));
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().unwrap()["results"], Value::Null);
    assert_eq!(
        error_code(app.get(&format!("/api/polls/{id}/results"))),
        (403, "results_hidden".into())
    );
    assert!(
        app.get(&format!("/polls/{id}/results"))
            .text()
            .unwrap()
            .contains("Les résultats seront publiés à la clôture")
    );
    // Staff see them with the admin token, and export them.
    let staff: Value = admin(
        &app,
        reqwest::Method::GET,
        &format!("/api/polls/{id}/results"),
    )
    .json()
    .unwrap();
    assert_eq!(staff["ballots"], 1);
    assert_eq!(
        error_code(app.get(&format!("/api/polls/{id}/results.csv"))).0,
        401
    );
    let csv = admin(
        &app,
        reqwest::Method::GET,
        &format!("/api/polls/{id}/results.csv"),
    );
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("poll-{id}-results.csv"))
    );
    let text = csv.text().unwrap();
    assert!(
        text.starts_with("\u{feff}rank,answer,votes,percent\r\n"),
        "{text}"
    );
    assert!(text.contains("2,'=1+1,0,0.0\r\n"), "{text}");
    assert!(text.contains("1,\"Oui, bien sûr\",1,100.0\r\n"), "{text}");
    admin(
        &app,
        reqwest::Method::POST,
        &format!("/api/polls/{id}/close"),
    );
    assert_eq!(app.get(&format!("/api/polls/{id}/results")).status(), 200);

    let after_vote = create(
        &app,
        json!({"question": "Après ?", "options": ["a", "b"], "results_visibility": "after_vote"}),
    );
    let id = after_vote["id"].as_str().unwrap();
    assert_eq!(
        app.get_with_cookie(&format!("/api/polls/{id}/results"), &voter(5))
            .status(),
        403
    );
    assert_eq!(vote_json(&app, id, 5, json!({"option": 0})).status(), 201);
    assert_eq!(
        app.get_with_cookie(&format!("/api/polls/{id}/results"), &voter(5))
            .status(),
        200
    );
}

#[test]
fn votes_from_one_address_are_rate_limited() {
    let app = app_with(&[("rate_limit_votes", "2/600")]);
    let poll = new_poll(&app, "Limite ?", &["a", "b"]);
    let id = poll["id"].as_str().unwrap();
    assert_eq!(vote_json(&app, id, 1, json!({"option": 0})).status(), 201);
    assert_eq!(vote_json(&app, id, 2, json!({"option": 0})).status(), 201);
    let limited = vote_json(&app, id, 3, json!({"option": 0}));
    let retry: u32 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry));
    assert_eq!(error_code(limited), (429, "rate_limited".into()));
    let form = app.post_form_with_cookie(&format!("/polls/{id}/vote"), "option=1", Some(&voter(4)));
    assert_eq!(form.status(), 429);
    assert!(form.headers().contains_key("retry-after"));
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    assert_eq!(results["ballots"], 2);
}

#[test]
fn the_widget_can_be_framed_and_the_pages_cannot() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Widget ?", &["a", "b"]);
    let id = poll["id"].as_str().unwrap();
    let embed = app.get(&format!("/polls/{id}/embed"));
    assert_eq!(embed.status(), 200);
    let csp = embed.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    let html = embed.text().unwrap();
    assert!(
        !html.contains("<header") && !html.contains("<footer"),
        "{html}"
    );
    assert!(
        html.contains("target=\"_blank\"")
            && html.contains(&format!("action=\"/polls/{id}/vote\""))
    );
    assert!(html.contains("<table"), "results are shown when visible");
    let page = app.get(&format!("/polls/{id}"));
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(
        poll["embed_html"]
            .as_str()
            .unwrap()
            .contains(&format!("/polls/{id}/embed"))
    );
}

#[test]
fn one_voter_changing_concurrently_stays_exact() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "Change ?", "options": ["a", "b", "c"], "allow_vote_change": true}),
    );
    let id = poll["id"].as_str().unwrap().to_string();
    assert_eq!(vote_json(&app, &id, 1, json!({"option": 0})).status(), 201);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|n| {
                let (app, id) = (&app, &id);
                scope.spawn(move || {
                    vote_json(app, id, 1, json!({"option": n % 3}))
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 409),
        "{statuses:?}"
    );
    // Conflicts may refuse some changes, never all: each lost swap means another one won.
    assert!(
        statuses.contains(&200),
        "no change went through: {statuses:?}"
    );
    let results: Value = app.get(&format!("/api/polls/{id}/results")).json().unwrap();
    let votes: Vec<u64> = (0..3)
        .map(|i| results["options"][i]["votes"].as_u64().unwrap())
        .collect();
    assert_eq!(results["ballots"], 1, "{results}");
    assert_eq!(
        votes.iter().sum::<u64>(),
        1,
        "one voter, one ballot: {votes:?}"
    );
    // The page offers to change the vote, pre-filled with the stored ballot, which is the
    // one the tally counts.
    let html = app
        .get_with_cookie(&format!("/polls/{id}"), &voter(1))
        .text()
        .unwrap();
    assert!(html.contains("Changer mon vote"), "{html}");
    assert_eq!(html.matches(" checked>").count(), 1, "{html}");
    let counted = votes.iter().position(|&v| v == 1).unwrap();
    assert!(
        html.contains(&format!(
            "id=\"option-{counted}\" value=\"{counted}\" required checked>"
        )),
        "the tally counts option {counted}, the stored ballot differs: {html}"
    );
}

#[test]
fn malformed_input_gets_json_errors_everywhere() {
    let app = TestApp::spawn();
    let poll = new_poll(&app, "Q ?", &["a", "b"]);
    let id = poll["id"].as_str().unwrap();
    for (path, body) in [
        ("/api/polls".to_string(), "{"),
        (
            "/api/polls".to_string(),
            r#"{"question": "q", "options": ["a", "b"], "kind": "borda"}"#,
        ),
        (
            "/api/polls".to_string(),
            r#"{"question": "q", "options": ["a", "b"], "opens_at": "demain"}"#,
        ),
        (
            "/api/polls".to_string(),
            r#"{"question": "q", "options": ["a", {"text": "b", "image_url": "http://x.example/i.png", "image_alt": "x"}]}"#,
        ),
        (format!("/api/polls/{id}/codes"), r#"{"count": "many"}"#),
        (
            format!("/api/polls/{id}/votes"),
            r#"{"option": 0, "options": [1]}"#,
        ),
        (format!("/api/polls/{id}/votes"), r#"{"grades": "x"}"#),
        (format!("/api/polls/{id}/votes"), "[]"),
    ] {
        let response = app
            .client
            .post(app.url(&path))
            .bearer_auth(&app.admin_token)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .unwrap();
        let (status, _) = error_code(response);
        assert!((400..500).contains(&status), "{path} {body}: {status}");
    }
    let not_json = app
        .client
        .put(app.url(&format!("/api/polls/{id}")))
        .bearer_auth(&app.admin_token)
        .header(CONTENT_TYPE, "text/plain")
        .body("x")
        .send()
        .unwrap();
    assert_eq!(error_code(not_json).0, 415);
    for path in [
        format!("/api/polls/{id}/open"),
        format!("/api/polls/{id}/close"),
        "/api/polls/NOPE/close".into(),
    ] {
        assert!(
            (400..500).contains(&error_code(app.post_json(&path, &json!({}))).0),
            "{path}"
        );
    }
}

#[test]
fn unicode_and_html_in_poll_text_are_kept_and_escaped() {
    let app = TestApp::spawn();
    let poll = create(
        &app,
        json!({"question": "📚 ما هو كتابك المفضل؟ <b>gras</b>",
        "options": ["Émile Zola 🎭", {"text": "<img src=x onerror=alert(1)>", "image_url": "https://img.example/c.jpg?a=1&b=2", "image_alt": "Couverture « bleue »"}]}),
    );
    assert_eq!(poll["options"][1]["image_alt"], "Couverture « bleue »");
    let id = poll["id"].as_str().unwrap();
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(
        html.contains("📚 ما هو كتابك المفضل؟ &lt;b&gt;gras&lt;/b&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("alt=\"Couverture « bleue »\""));
    assert!(html.contains("src=\"https://img.example/c.jpg?a=1&amp;b=2\""));
    // The image host learns nothing of the page, and the layout does not shift.
    assert!(
        html.contains(
            "referrerpolicy=\"no-referrer\" loading=\"lazy\" decoding=\"async\" width=\"160\" height=\"120\""
        ),
        "{html}"
    );
    assert!(html.contains("Émile Zola 🎭"));
    let read: Value = app.get(&format!("/api/polls/{id}")).json().unwrap();
    assert_eq!(read["options"][0]["text"], "Émile Zola 🎭");
}

/// A poll illustrated with a medium of the library: the page and the widget show its `page`
/// rendition with its size and the poll's alt text, shared links its absolute `social`
/// rendition; editing keeps it; an unknown medium is refused by its field.
#[test]
fn a_poll_illustrated_from_the_media_library() {
    let app = TestApp::spawn();
    let uploaded =
        tests::images::library_medium(&app, "jardin.jpg", 800, 600, json!({"alt": "Un jardin"}));
    let medium = uploaded["id"].as_str().unwrap().to_owned();
    let page = &uploaded["renditions"]["page"];
    let (width, height) = (
        page["width"].as_u64().unwrap(),
        page["height"].as_u64().unwrap(),
    );

    let body = json!({"question": "Quel livre lire au jardin ?", "options": ["Colette", "Giono"],
                      "image": {"medium": medium, "alt": "Le jardin de lecture, <en été>",
                                "credit": "Photo : la médiathèque"}});
    let response = app.post_json_as_admin("/api/polls", &body);
    assert_eq!(response.status(), 201);
    let poll: Value = response.json().unwrap();
    assert_eq!(
        poll["image"]["image"],
        json!({"medium": medium, "width": width, "height": height}),
        "{poll}"
    );
    let id = poll["id"].as_str().unwrap().to_owned();

    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    let img = format!(
        "<img src=\"/media/{medium}/page.jpg\" alt=\"Le jardin de lecture, &lt;en été&gt;\" width=\"{width}\" height=\"{height}\""
    );
    assert!(html.contains(&img), "{html}");
    assert!(html.contains("Photo : la médiathèque"));
    let og_start = html
        .find("<meta property=\"og:image\" content=\"")
        .expect("og:image");
    let og = html[og_start..].split_once('>').unwrap().0;
    assert!(
        og.contains("content=\"http") && og.ends_with(&format!("/media/{medium}/social.jpg\"")),
        "an absolute og:image: {og}"
    );
    assert!(html.contains(
        "<meta property=\"og:image:alt\" content=\"Le jardin de lecture, &lt;en été&gt;\">"
    ));
    let widget = app.get(&format!("/polls/{id}/embed")).text().unwrap();
    assert!(widget.contains(&img), "{widget}");

    // Editing an unvoted poll keeps or replaces it; an unknown medium is refused.
    let response = app.admin(
        reqwest::Method::PUT,
        &format!("/api/polls/{id}"),
        Some(
            &json!({"question": "Quel livre lire au jardin ?", "options": ["Colette", "Giono"],
                     "image": {"medium": "abcdefghijklmnop", "alt": "a"}}),
        ),
    );
    let (status, code) = error_code(response);
    assert_eq!((status, code.as_str()), (400, "invalid_poll"));
    let response = app.admin(
        reqwest::Method::PUT,
        &format!("/api/polls/{id}"),
        Some(
            &json!({"question": "Quel livre lire au jardin ?", "options": ["Colette", "Giono"],
                     "image": {"url": "https://img.example/jardin.jpg", "width": 640, "height": 480,
                               "alt": "Un autre jardin"}}),
        ),
    );
    assert_eq!(response.status(), 200);
    let html = app.get(&format!("/polls/{id}")).text().unwrap();
    assert!(html.contains(
        "<img src=\"https://img.example/jardin.jpg\" alt=\"Un autre jardin\" width=\"640\" height=\"480\""
    ));
}
