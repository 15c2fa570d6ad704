//! Staff accounts end to end: the bootstrap token creates accounts, staff sign in to a
//! session cookie with its CSRF token, roles decide what each may do, personal tokens are
//! scoped and revocable, sign-in is throttled, and every change lands in the audit log.

use reqwest::Method;
use reqwest::blocking::Response;
use serde_json::{Value, json};
use tests::{StaffBrowser as Browser, TestApp, cookie_from};

const PASSWORD: &str = "une longue phrase de passe";

fn create_account(app: &TestApp, email: &str, name: &str, role: &str) -> Value {
    let account = app.post_json_as_admin_ok(
        "/api/staff/accounts",
        &json!({"email": email, "name": name, "role": role, "password": PASSWORD}),
    );
    account["account"].clone()
}

fn sign_in(app: &TestApp, email: &str) -> Browser {
    Browser::sign_in(app, email, PASSWORD)
}

fn error_code(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().expect("a JSON error");
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[test]
fn staff_sign_in_to_a_session_whose_changes_need_the_csrf_token() {
    let app = TestApp::spawn();
    let anne = create_account(&app, "Anne@Bib.example", "Anne", "editor");
    assert_eq!(anne["email"], "anne@bib.example");
    assert!(anne.get("password_hash").is_none(), "{anne}");

    // Wrong password: 401 with nothing said about which part was wrong.
    let wrong = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "anne@bib.example", "password": "pas le bon mot de passe"}),
    );
    assert_eq!(error_code(wrong), (401, "invalid_credentials".into()));

    let response = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "anne@bib.example", "password": PASSWORD}),
    );
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    // Plain-http localhost: browsers would drop a `Secure` cookie there.
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    let anne_browser = sign_in(&app, "anne@bib.example");

    let me: Value = anne_browser.get(&app, "/api/staff/me").json().unwrap();
    assert_eq!(me["account"]["name"], "Anne");
    assert_eq!(me["role"], "editor");
    assert_eq!(me["csrf_token"], anne_browser.csrf.as_str());

    // A change without the CSRF token is refused, with it accepted.
    let question = json!({"text": "Quel livre pour l'été ?", "fields": ["title"]});
    let no_csrf = app.post_json_with_cookie("/api/questions", &question, &anne_browser.cookie);
    assert_eq!(error_code(no_csrf), (403, "csrf".into()));
    let forged = app.send(
        app.request(Method::POST, "/api/questions")
            .header("cookie", &anne_browser.cookie)
            .header("x-csrf-token", "pas-le-bon")
            .json(&question),
    );
    assert_eq!(error_code(forged), (403, "csrf".into()));
    let created = anne_browser.send(&app, Method::POST, "/api/questions", &question);
    assert_eq!(created.status(), 201);

    // The tutorial editor's preview: the public pages' renderer, raw HTML never passed on.
    let preview: Value = anne_browser
        .send(
            &app,
            Method::POST,
            "/api/tutorials/preview",
            &json!({"markdown": "## Copier\nAppuyez sur [[Ctrl+C]] <script>alert(1)</script>"}),
        )
        .json()
        .unwrap();
    let html = preview["html"].as_str().unwrap();
    assert!(html.contains("<kbd>Ctrl</kbd>"), "{html}");
    assert!(!html.contains("<script"), "{html}");

    // An editor cannot reach accounts, channels or the audit log.
    assert_eq!(
        error_code(anne_browser.get(&app, "/api/staff/accounts")),
        (403, "forbidden".into())
    );
    assert_eq!(
        error_code(anne_browser.get(&app, "/api/staff/audit")),
        (403, "forbidden".into())
    );
    let channel = anne_browser.send(&app, Method::POST, "/api/channels", &json!({}));
    assert_eq!(error_code(channel), (403, "forbidden".into()));

    // Without a session: the APIs answer 401, the console's page sends to the sign-in page.
    assert_eq!(
        error_code(app.get("/api/questions")),
        (401, "unauthorized".into())
    );
    let console = app.get("/admin/");
    assert_eq!(console.status(), 303);
    assert_eq!(
        console.headers()["location"],
        "/admin/sign-in.html?next=/admin/"
    );
    assert_eq!(anne_browser.get(&app, "/admin/").status(), 200);
    assert_eq!(app.get("/admin/sign-in.html").status(), 200);

    // Signing out ends this browser's session only.
    let other_browser = sign_in(&app, "anne@bib.example");
    let out = anne_browser.send(&app, Method::POST, "/api/staff/sign-out", &json!({}));
    assert_eq!(out.status(), 204);
    assert_eq!(anne_browser.get(&app, "/api/staff/me").status(), 401);
    assert_eq!(other_browser.get(&app, "/api/staff/me").status(), 200);
    let everywhere = other_browser.send(
        &app,
        Method::POST,
        "/api/staff/sign-out-everywhere",
        &json!({}),
    );
    assert_eq!(everywhere.status(), 204);
    assert_eq!(other_browser.get(&app, "/api/staff/me").status(), 401);

    // The audit log names who did what; it never holds a body.
    let audit = app.get_json_as_admin("/api/staff/audit");
    let entries = audit["entries"].as_array().unwrap();
    let made: Vec<(String, String, String, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"]["name"].as_str().unwrap().to_owned(),
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(made.contains(&("Anne".into(), "POST".into(), "/api/questions".into(), 201)));
    assert!(made.contains(&(
        "Anne".into(),
        "POST".into(),
        "/api/staff/sign-in".into(),
        200
    )));
    assert!(made.contains(&(
        "admin_token".into(),
        "POST".into(),
        "/api/staff/accounts".into(),
        201
    )));
    assert!(!audit.to_string().contains(PASSWORD));
}

#[test]
fn sign_in_works_without_javascript_and_is_throttled() {
    let app = TestApp::spawn();
    create_account(&app, "bruno@bib.example", "Bruno", "moderator");
    let form = |password: &str| {
        format!("email=bruno%40bib.example&password={password}&next=%2Fadmin%2F%23%2Fcampaigns")
    };
    let ok = app.post_form_with_cookie(
        "/api/staff/sign-in",
        &form("une+longue+phrase+de+passe"),
        None,
    );
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/admin/#/campaigns");
    assert!(cookie_from(&ok, "kiosque_session").is_some());

    // The sign-in page's script gives a console screen as `next`.
    let screen = app.post_form_with_cookie(
        "/api/staff/sign-in",
        "email=bruno%40bib.example&password=une+longue+phrase+de+passe&next=%23%2Fcampaigns",
        None,
    );
    assert_eq!(screen.headers()["location"], "/admin/#/campaigns");

    // A `next` to another site is ignored.
    let elsewhere = app.post_form_with_cookie(
        "/api/staff/sign-in",
        "email=bruno%40bib.example&password=une+longue+phrase+de+passe&next=https%3A%2F%2Fevil.example%2F",
        None,
    );
    assert_eq!(elsewhere.headers()["location"], "/admin/");

    for _ in 0..2 {
        let wrong = app.post_form_with_cookie("/api/staff/sign-in", &form("mauvais"), None);
        assert_eq!(wrong.status(), 303);
        let location = wrong.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/admin/sign-in.html?error=invalid"),
            "{location}"
        );
        assert!(cookie_from(&wrong, "kiosque_session").is_none());
    }
    // Five attempts per account in 15 minutes: the sixth is refused, even the right one.
    let throttled = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "bruno@bib.example", "password": PASSWORD}),
    );
    assert_eq!(throttled.status(), 429);
    let retry_after: u32 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after));
    assert_eq!(error_code(throttled), (429, "throttled".into()));
    let form_throttled = app.post_form_with_cookie(
        "/api/staff/sign-in",
        &form("une+longue+phrase+de+passe"),
        None,
    );
    let location = form_throttled.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.contains("error=throttled"), "{location}");
}

#[test]
fn roles_tokens_and_account_changes_take_effect_at_once() {
    let app = TestApp::spawn();
    let chloe = create_account(&app, "chloe@bib.example", "Chloé", "moderator");
    let chloe_id = chloe["id"].as_str().unwrap().to_owned();
    let browser = sign_in(&app, "chloe@bib.example");

    // A moderator works the queues but cannot create content.
    assert_eq!(browser.get(&app, "/api/questions").status(), 200);
    let create = browser.send(
        &app,
        Method::POST,
        "/api/questions",
        &json!({"text": "Une question ?", "fields": ["title"]}),
    );
    assert_eq!(error_code(create), (403, "forbidden".into()));

    // Personal tokens: scopes within the role, the secret shown once, revocable.
    let too_wide = browser.send(
        &app,
        Method::POST,
        "/api/staff/tokens",
        &json!({"name": "Robot", "scopes": ["edit"]}),
    );
    assert_eq!(error_code(too_wide), (403, "scope_not_granted".into()));
    let created = browser.send(
        &app,
        Method::POST,
        "/api/staff/tokens",
        &json!({"name": "Robot de modération", "scopes": ["moderate"]}),
    );
    assert_eq!(created.status(), 201);
    let created: Value = created.json().unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("kq_"));
    let listed: Value = browser.get(&app, "/api/staff/tokens").json().unwrap();
    assert_eq!(listed["tokens"][0]["name"], "Robot de modération");
    assert!(!listed.to_string().contains(&secret));
    let with_token = |path: &str| app.send(app.request(Method::GET, path).bearer_auth(&secret));
    assert_eq!(with_token("/api/questions").status(), 200);
    assert_eq!(
        error_code(with_token("/api/staff/accounts")),
        (403, "forbidden".into())
    );
    // A token cannot mint itself a wider one: own credentials need a console session.
    let minted = app.send(
        app.request(Method::POST, "/api/staff/tokens")
            .bearer_auth(&secret)
            .json(&json!({"name": "Plus large", "scopes": ["moderate"]})),
    );
    assert_eq!(error_code(minted), (403, "session_required".into()));
    let token_id = created["token"]["id"].as_str().unwrap();
    let revoked = browser.send(
        &app,
        Method::DELETE,
        &format!("/api/staff/tokens/{token_id}"),
        &json!({}),
    );
    assert_eq!(revoked.status(), 204);
    assert_eq!(with_token("/api/questions").status(), 401);

    // An administrator promotes, then disables: each is seen on the next request.
    let promoted = app.admin(
        Method::PUT,
        &format!("/api/staff/accounts/{chloe_id}"),
        Some(&json!({"role": "administrator"})),
    );
    assert_eq!(promoted.status(), 200);
    assert_eq!(browser.get(&app, "/api/staff/accounts").status(), 200);
    let bad_role = app.admin(
        Method::PUT,
        &format!("/api/staff/accounts/{chloe_id}"),
        Some(&json!({"role": "chef"})),
    );
    let body: Value = bad_role.json().unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "role");
    let disabled = app.admin(
        Method::PUT,
        &format!("/api/staff/accounts/{chloe_id}"),
        Some(&json!({"disabled": true})),
    );
    assert_eq!(disabled.status(), 200);
    assert_eq!(browser.get(&app, "/api/staff/me").status(), 401);

    // A password reset by an administrator: the new one works, the old one no longer.
    app.admin(
        Method::PUT,
        &format!("/api/staff/accounts/{chloe_id}"),
        Some(&json!({"disabled": false})),
    );
    let reset = app.admin(
        Method::POST,
        &format!("/api/staff/accounts/{chloe_id}/password"),
        Some(&json!({"new_password": "une toute nouvelle phrase"})),
    );
    assert_eq!(reset.status(), 204);
    let old = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "chloe@bib.example", "password": PASSWORD}),
    );
    assert_eq!(old.status(), 401);
    let new = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "chloe@bib.example", "password": "une toute nouvelle phrase"}),
    );
    assert_eq!(new.status(), 200);
    let duplicate = app.post_json_as_admin(
        "/api/staff/accounts",
        &json!({"email": "CHLOE@bib.example", "name": "Autre", "role": "editor", "password": PASSWORD}),
    );
    assert_eq!(error_code(duplicate), (409, "email_taken".into()));
}

/// Every `name=value` pair a response sets, joined as a browser sends them back.
fn cookies_set_by(response: &Response) -> String {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A JSON sign-in from `address` (the app trusts `x-forwarded-for`), with `cookie` if any.
fn sign_in_from(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
    cookie: Option<&str>,
) -> Response {
    let mut request = app
        .request(Method::POST, "/api/staff/sign-in")
        .header("x-forwarded-for", address)
        .json(&json!({"email": email, "password": password}));
    if let Some(cookie) = cookie.filter(|c| !c.is_empty()) {
        request = request.header("cookie", cookie);
    }
    app.send(request)
}

#[test]
fn a_lockout_by_others_does_not_stop_a_known_browser_and_failures_are_audited() {
    let app = TestApp::spawn_with_variables(std::collections::BTreeMap::from([
        (
            "admin_token".to_string(),
            tests::TEST_ADMIN_TOKEN.to_string(),
        ),
        (
            "client_ip_header".to_string(),
            "x-forwarded-for".to_string(),
        ),
    ]));
    create_account(&app, "dana@bib.example", "Dana", "editor");

    // Dana's own browser signed in before: it keeps whatever cookies it was given.
    let first = sign_in_from(&app, "192.0.2.10", "dana@bib.example", PASSWORD, None);
    assert_eq!(first.status(), 200);
    let known_browser = cookies_set_by(&first);

    // Someone else, who knows only her address, tries 30 wrong passwords from a few
    // addresses of their own.
    for i in 0..30 {
        let wrong = sign_in_from(
            &app,
            &format!("203.0.113.{}", i / 10),
            "dana@bib.example",
            "devine devine devine",
            None,
        );
        assert!(
            [401, 429].contains(&wrong.status().as_u16()),
            "{}",
            wrong.status()
        );
    }
    // A browser that never signed in is held back for the window...
    let stranger = sign_in_from(&app, "198.51.100.7", "dana@bib.example", PASSWORD, None);
    assert_eq!(stranger.status(), 429);
    // ...but Dana's own browser signs in with the right password.
    let known = sign_in_from(
        &app,
        "192.0.2.10",
        "dana@bib.example",
        PASSWORD,
        Some(&known_browser),
    );
    assert_eq!(known.status(), 200, "the known browser is not locked out");
    let device = known
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kiosque_device="))
        .expect("a device cookie")
        .to_owned();
    assert!(device.contains("HttpOnly"), "{device}");
    assert!(device.contains("SameSite=Strict"), "{device}");
    // A forged device cookie is no help.
    let forged = sign_in_from(
        &app,
        "198.51.100.8",
        "dana@bib.example",
        PASSWORD,
        Some("kiosque_device=AAAA.BBBB"),
    );
    assert_eq!(forged.status(), 429);

    // Failed sign-ins are in the audit log with the address they came from, never the
    // password tried.
    let audit = app.get_json_as_admin("/api/staff/audit");
    let failed: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["path"] == "/api/staff/sign-in"
                && e["client"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("203.0.113."))
        })
        .collect();
    // Each of the 30 was within its address's budget, so each reached the account check.
    assert_eq!(failed.len(), 30, "{audit}");
    assert!(failed.iter().any(|e| e["status"] == 401), "{audit}");
    assert!(
        failed
            .iter()
            .all(|e| e["status"] == 401 || e["status"] == 429),
        "{audit}"
    );
    assert!(
        failed.iter().all(|e| e["actor"]["name"] == "Dana"),
        "{audit}"
    );
    assert!(!audit.to_string().contains("devine"), "{audit}");

    // While `public_base_url` is unset, administrators are warned; editors are not bothered.
    create_account(&app, "eve@bib.example", "Ève", "administrator");
    let admin = sign_in_from(&app, "192.0.2.11", "eve@bib.example", PASSWORD, None);
    let admin_cookie = cookie_from(&admin, "kiosque_session").unwrap();
    let me: Value = app
        .get_with_cookie("/api/staff/me", &admin_cookie)
        .json()
        .unwrap();
    assert_eq!(me["warnings"], json!(["public_base_url_unset"]), "{me}");
    let dana = cookie_from(&known, "kiosque_session").unwrap();
    let me: Value = app.get_with_cookie("/api/staff/me", &dana).json().unwrap();
    assert_eq!(me["warnings"], json!([]), "{me}");
}

#[test]
fn behind_a_tls_proxy_the_session_cookie_is_host_only_and_secure_with_hsts() {
    let app = TestApp::spawn_with_variables(std::collections::BTreeMap::from([
        (
            "admin_token".to_string(),
            tests::TEST_ADMIN_TOKEN.to_string(),
        ),
        (
            "public_base_url".to_string(),
            "https://culture.example.fr".to_string(),
        ),
    ]));
    create_account(&app, "fanny@bib.example", "Fanny", "administrator");
    // The proxy forwards plain http: the request the app sees is http.
    let response = app.post_json(
        "/api/staff/sign-in",
        &json!({"email": "fanny@bib.example", "password": PASSWORD}),
    );
    assert_eq!(response.status(), 200);
    let set_cookies: Vec<String> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-kiosque_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie in {set_cookies:?}"));
    assert!(session.contains("; Secure"), "{session}");
    assert!(session.contains("Path=/"), "{session}");
    assert!(!session.contains("Domain"), "{session}");
    assert!(
        set_cookies
            .iter()
            .all(|c| c.contains("; Secure") && c.starts_with("__Host-")),
        "{set_cookies:?}"
    );
    let hsts = |response: &Response| {
        response
            .headers()
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(hsts(&response).as_deref(), Some("max-age=31536000"));

    // The new cookie name is the one the app reads.
    let cookie = cookie_from(&response, "__Host-kiosque_session").unwrap();
    let me = app.get_with_cookie("/api/staff/me", &cookie);
    assert_eq!(me.status(), 200);
    assert_eq!(hsts(&me).as_deref(), Some("max-age=31536000"));
    let me: Value = me.json().unwrap();
    assert_eq!(me["warnings"], json!([]), "{me}");
    assert_eq!(
        app.get_with_cookie("/admin/", &cookie).status(),
        200,
        "the console's page knows the session"
    );

    // Every answer carries HSTS: pages, static files, errors.
    for path in [
        "/",
        "/static/css/kiosque.css",
        "/api/nope",
        "/page-introuvable",
    ] {
        let answer = app.get(path);
        assert_eq!(
            hsts(&answer).as_deref(),
            Some("max-age=31536000"),
            "{path}: {}",
            answer.status()
        );
    }

    // Absolute links come from `public_base_url`, whatever Host the request names.
    let home = app
        .send(app.request(Method::GET, "/").header("host", "evil.example"))
        .text()
        .unwrap();
    assert!(
        home.contains("<link rel=\"canonical\" href=\"https://culture.example.fr/\""),
        "{home}"
    );
    assert!(
        home.contains("property=\"og:url\" content=\"https://culture.example.fr/\""),
        "{home}"
    );
    assert!(!home.contains("evil.example"), "{home}");
}

#[test]
fn only_administrators_see_contest_participants_emails() {
    let app = TestApp::spawn_with_variables(std::collections::BTreeMap::from([
        (
            "admin_token".to_string(),
            tests::TEST_ADMIN_TOKEN.to_string(),
        ),
        (
            "card_hash_key".to_string(),
            "e2e-contact-secret".to_string(),
        ),
    ]));
    create_account(&app, "gael@bib.example", "Gaël", "moderator");
    create_account(&app, "hana@bib.example", "Hana", "administrator");
    let created = app.post_json_as_admin(
        "/api/contests",
        &json!({
            "title": "Concours de nouvelles",
            "rules": "Une page au plus.",
            "categories": [{"slug": "adultes", "name": "Adultes"}],
            "submissions_open": "2020-01-01T00:00:00Z",
            "submissions_close": "2099-01-01T00:00:00Z",
            "jury": true,
            "prize": "Un livre dédicacé",
        }),
    );
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let entry = app.post_json(
        &format!("/api/contests/{id}/entries"),
        &json!({"title": "Nouvelle", "text": "Il était une fois…", "display_name": "Léa",
                "category": "adultes", "consent": true, "licence": "cc-by",
                "email": "lea@exemple.fr"}),
    );
    assert_eq!(entry.status(), 202);

    let queue = |browser: &Browser| -> Value {
        let response = browser.get(&app, &format!("/api/contests/{id}/queue"));
        assert_eq!(response.status(), 200);
        response.json().unwrap()
    };
    let moderator = sign_in(&app, "gael@bib.example");
    let seen = queue(&moderator);
    assert_eq!(seen["entries"][0]["title"], "Nouvelle", "{seen}");
    assert!(seen["entries"][0].get("email").is_none(), "{seen}");
    assert!(!seen.to_string().contains("lea@exemple.fr"), "{seen}");
    // The moderator still moderates.
    let approved = moderator.send(
        &app,
        Method::POST,
        &format!("/api/contests/{id}/entries/1/moderation"),
        &json!({"decision": "approve"}),
    );
    assert_eq!(approved.status(), 200);
    // Exporting a participant's data is the administrators' job.
    let export = moderator.send(
        &app,
        Method::POST,
        "/api/contests/participants/export",
        &json!({"email": "lea@exemple.fr"}),
    );
    assert_eq!(error_code(export), (403, "forbidden".into()));

    let administrator = sign_in(&app, "hana@bib.example");
    assert_eq!(
        queue(&administrator)["entries"][0]["email"],
        "lea@exemple.fr"
    );
    let export = administrator.send(
        &app,
        Method::POST,
        "/api/contests/participants/export",
        &json!({"email": "lea@exemple.fr"}),
    );
    assert_eq!(export.status(), 200);
}
