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
