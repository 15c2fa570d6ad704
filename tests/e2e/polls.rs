//! The polls slice end to end: the staff API, voting, results, the public
//! pages, persistence across a restart and concurrent votes.

use reqwest::blocking::Response;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
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
