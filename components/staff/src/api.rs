//! The staff API: sign-in and sessions, accounts, personal tokens, the audit log.

use kiosque_domain::Clock;
use kiosque_domain::ids::base64url;
use kiosque_domain::staff::session::{self, TOKEN_PREFIX};
use kiosque_domain::staff::{
    self, Account, AccountChange, AccountId, NewAccount, Role, StaffError, TokenId, audit,
};
use kiosque_spin::auth::{self, Permission, Staff};
use kiosque_spin::cookies::{self, SameSite};
use kiosque_spin::response::{add_second_cookie, json, see_other};
use kiosque_spin::{ApiError, SpinStore, SystemClock, client, config, form, ids, same_site};
use serde::{Deserialize, Serialize};
use spin_sdk::http::{Params, Request, Response};

/// The cookie of a browser that signed in successfully before (see
/// `session::SignInKey::device_token`), `__Host-` prefixed on an https site.
const DEVICE_COOKIE: &str = "kiosque_device";
/// A known browser stays known for a year after its last sign-in.
const DEVICE_COOKIE_SECS: u64 = 365 * 24 * 3600;

/// The console's home, where a plain-form sign-in lands.
const CONSOLE: &str = "/admin/";
const SIGN_IN_PAGE: &str = "/admin/sign-in.html";

fn store() -> Result<SpinStore, ApiError> {
    Ok(SpinStore::open_default().map_err(StaffError::from)?)
}

fn now() -> kiosque_domain::Timestamp {
    SystemClock.now()
}

/// 16 random bytes for a password salt.
fn salt() -> Result<[u8; 16], ApiError> {
    ids::random_bytes()
}

#[derive(Serialize)]
struct Me<'a> {
    account: Option<staff::AccountView>,
    role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<&'a str>,
    /// Configuration an administrator should fix, e.g. `public_base_url_unset`; empty for
    /// other roles.
    warnings: Vec<&'static str>,
    /// The zone the console shows and reads dates in (`library_time_zone`).
    library_time_zone: &'static str,
    /// What that zone's time is called, `{"fr": "heure de La Réunion", "en": "Réunion time"}`.
    library_time_zone_label: serde_json::Value,
}

fn me_json(status: u16, account: Option<&Account>, role: Role, csrf: Option<&str>) -> Response {
    let zone = kiosque_spin::config::library_zone();
    let (fr, en) = zone.display_names();
    json(
        status,
        &Me {
            account: account.map(Account::view),
            role,
            csrf_token: csrf,
            warnings: warnings(role),
            library_time_zone: zone.name(),
            library_time_zone_label: serde_json::json!({"fr": fr, "en": en}),
        },
    )
}

/// What the console warns administrators about: without `public_base_url`, links and the
/// session cookie's `Secure` flag follow each request's own host and scheme, which a proxy
/// or a shared cache can get wrong.
fn warnings(role: Role) -> Vec<&'static str> {
    let mut warnings = Vec::new();
    if role == Role::Administrator && config::public_base_url().is_none() {
        warnings.push("public_base_url_unset");
    }
    warnings
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

/// `POST /api/staff/sign-in`: `{"email","password"}` answers the account and its CSRF token
/// with the session cookie; a plain HTML form (`email`, `password`, `next`) is answered with
/// a redirection to the console, or back to the sign-in page with `?error=`.
pub fn sign_in(req: Request, _params: Params) -> Result<Response, ApiError> {
    // Another site must not sign a browser into our console (login CSRF).
    same_site::check(&req)?;
    let is_form = req
        .header("content-type")
        .and_then(|v| v.as_str())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        let body: SignIn = kiosque_spin::json::parse_body(&req)?;
        let (account, cookies, csrf) = open_session(&req, &body.email, &body.password)?;
        let mut response = me_json(200, Some(&account), account.role, Some(&csrf));
        cookies.apply(&mut response);
        return Ok(response);
    }
    let fields = form::parse(&String::from_utf8_lossy(req.body()));
    let field = |name| form::get(&fields, name).unwrap_or("");
    let next = console_path(field("next"));
    match open_session(&req, field("email"), field("password")) {
        Ok((_, cookies, _)) => {
            let mut response = see_other(&next);
            cookies.apply(&mut response);
            Ok(response)
        }
        Err(error) => {
            let reason = if error.status == 429 {
                "throttled"
            } else {
                "invalid"
            };
            // The fragment lets the static page show the message with CSS alone (`:target`).
            Ok(see_other(&format!(
                "{SIGN_IN_PAGE}?error={reason}&next={}#error-{reason}",
                percent_encode(&next)
            )))
        }
    }
}

/// The two cookies of a successful sign-in: the session, and this browser as known.
struct SignInCookies {
    session: String,
    device: String,
}

impl SignInCookies {
    fn apply(self, response: &mut Response) {
        response.set_header("set-cookie", self.session);
        add_second_cookie(response, self.device);
    }
}

/// The key of sign-in throttling and device cookies, from the `admin_token` secret (set in
/// every deployment; never logged). Without it (a misconfigured host) the buckets are
/// public again, which is said once per sign-in on stderr.
fn sign_in_key() -> session::SignInKey {
    match config::variable("admin_token") {
        Some(secret) => session::SignInKey::derive(secret.trim().as_bytes()),
        None => {
            eprintln!("sign-in: the admin_token variable is empty; sign-in buckets are unkeyed");
            session::SignInKey::derive(b"")
        }
    }
}

/// Checks the credentials and opens a session: the account, the `Set-Cookie` values and
/// the CSRF token. A failed attempt is written to the audit log by the domain.
fn open_session(
    req: &Request,
    email: &str,
    password: &str,
) -> Result<(Account, SignInCookies, String), ApiError> {
    let store = store()?;
    let key = sign_in_key();
    let device = cookies::get(req, &device_cookie());
    let address = client::address(req);
    let account = session::sign_in(
        &store,
        now(),
        &key,
        session::SignInAttempt {
            email,
            password,
            client: &address,
            device: device.as_deref(),
        },
    )?;
    let (secret, csrf) = new_session_secrets()?;
    session::open(&store, now(), &account, &secret, &csrf)?;
    let actor = Staff::from_account(account.clone()).actor();
    auth::remember_actor(actor);
    let session_cookie = cookies::set_cookie(
        req,
        &auth::session_cookie(),
        &secret,
        session::SESSION_SECS as u64,
        SameSite::Strict,
    );
    let device_cookie = cookies::set_cookie(
        req,
        &device_cookie(),
        &key.device_token(&account.id, &ids::random_bytes::<32>()?),
        DEVICE_COOKIE_SECS,
        SameSite::Strict,
    );
    Ok((
        account,
        SignInCookies {
            session: session_cookie,
            device: device_cookie,
        },
        csrf,
    ))
}

fn device_cookie() -> String {
    cookies::host_only_name(DEVICE_COOKIE, cookies::site_is_https())
}

/// A cookie secret (256 bits) and a CSRF token (192 bits).
fn new_session_secrets() -> Result<(String, String), ApiError> {
    let secret = base64url(&ids::random_bytes::<32>()?);
    let csrf = base64url(&ids::random_bytes::<24>()?);
    Ok((secret, csrf))
}

/// Where a form sign-in may send the browser: a console path (`/admin/...`) or a console
/// screen (`#/...`, what the sign-in page's script puts in the form), never another site.
fn console_path(next: &str) -> String {
    let plain = !next.contains("//") && !next.contains('\\') && !next.chars().any(char::is_control);
    if plain && next.starts_with(CONSOLE) {
        next.to_owned()
    } else if plain && next.starts_with("#/") {
        format!("{CONSOLE}{next}")
    } else {
        CONSOLE.to_owned()
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The cookie that deletes the session cookie.
fn expired_cookie(req: &Request) -> String {
    cookies::set_cookie(req, &auth::session_cookie(), "", 0, SameSite::Strict)
}

fn no_content() -> Response {
    Response::builder().status(204).build()
}

/// `POST /api/staff/sign-out`: this browser's session ends.
pub fn sign_out(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::View)?;
    if let Some(secret) = cookies::get(&req, &auth::session_cookie()) {
        session::close(&store()?, &secret)?;
    }
    let mut response = no_content();
    response.set_header("set-cookie", expired_cookie(&req));
    Ok(response)
}

/// The account of a console session. A staff member's own credentials (password, tokens,
/// sessions) are managed from a signed-in console only: a personal token, whatever its
/// scopes, could otherwise mint itself a wider one; the bootstrap token has no account.
fn session_account(staff: Staff) -> Result<Account, ApiError> {
    match staff.account {
        Some(account) if staff.csrf.is_some() => Ok(account),
        _ => Err(ApiError::new(
            403,
            "session_required",
            "sign in to the console to manage your password, tokens and sessions",
        )),
    }
}

/// `POST /api/staff/sign-out-everywhere`: every session of the account ends.
pub fn sign_out_everywhere(req: Request, _params: Params) -> Result<Response, ApiError> {
    let account = session_account(auth::require(&req, Permission::View)?)?;
    session::close_all(&store()?, &account.id)?;
    let mut response = no_content();
    response.set_header("set-cookie", expired_cookie(&req));
    Ok(response)
}

/// `GET /api/staff/me`: who is signed in, their role and the session's CSRF token.
pub fn me(req: Request, _params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::View)?;
    let mut response = me_json(
        200,
        staff.account.as_ref(),
        staff.role,
        staff.csrf.as_deref(),
    );
    response.set_header("cache-control", "no-store");
    Ok(response)
}

#[derive(Deserialize)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `POST /api/staff/me/password`: every session ends, and this browser gets a new one (the
/// new CSRF token is in the answer).
pub fn change_password(req: Request, _params: Params) -> Result<Response, ApiError> {
    let account = session_account(auth::require(&req, Permission::View)?)?;
    let body: PasswordChange = kiosque_spin::json::parse_body(&req)?;
    let store = store()?;
    let account = staff::change_own_password(
        &store,
        now(),
        &account.id,
        &body.current_password,
        &body.new_password,
        salt()?,
    )?;
    let (secret, csrf) = new_session_secrets()?;
    session::open(&store, now(), &account, &secret, &csrf)?;
    let mut response = me_json(200, Some(&account), account.role, Some(&csrf));
    response.set_header(
        "set-cookie",
        cookies::set_cookie(
            &req,
            &auth::session_cookie(),
            &secret,
            session::SESSION_SECS as u64,
            SameSite::Strict,
        ),
    );
    Ok(response)
}

#[derive(Serialize)]
struct AccountBody {
    account: staff::AccountView,
}

fn account_json(status: u16, account: &Account) -> Response {
    json(
        status,
        &AccountBody {
            account: account.view(),
        },
    )
}

fn account_id(params: &Params) -> Result<AccountId, ApiError> {
    AccountId::parse(params.get("id").unwrap_or_default())
        .map_err(|_| ApiError::from(StaffError::NotFound))
}

/// `GET /api/staff/accounts` (administrator).
pub fn list_accounts(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let accounts: Vec<staff::AccountView> =
        staff::list(&store()?)?.iter().map(Account::view).collect();
    Ok(json(200, &serde_json::json!({ "accounts": accounts })))
}

#[derive(Deserialize)]
struct NewAccountBody {
    email: String,
    name: String,
    role: String,
    password: String,
}

/// `POST /api/staff/accounts` (administrator): 201 with the account.
pub fn create_account(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let body: NewAccountBody = kiosque_spin::json::parse_body(&req)?;
    let new = NewAccount::parse(&body.email, &body.name, &body.role, &body.password)?;
    let id = AccountId::generate(ids::random_bytes()?);
    let account = staff::create(&store()?, now(), id, new, salt()?)?;
    Ok(account_json(201, &account))
}

#[derive(Deserialize)]
struct AccountChangeBody {
    name: Option<String>,
    role: Option<String>,
    disabled: Option<bool>,
}

/// `PUT /api/staff/accounts/:id` (administrator): name, role, disabled.
pub fn update_account(req: Request, params: Params) -> Result<Response, ApiError> {
    let admin = auth::require_admin(&req)?;
    let id = account_id(&params)?;
    let body: AccountChangeBody = kiosque_spin::json::parse_body(&req)?;
    let change = AccountChange {
        name: body.name.as_deref().map(staff::parse_name).transpose()?,
        role: body.role.as_deref().map(Role::parse).transpose()?,
        disabled: body.disabled,
    };
    let account = staff::update(&store()?, &id, change, admin.account_id())?;
    Ok(account_json(200, &account))
}

#[derive(Deserialize)]
struct PasswordReset {
    new_password: String,
}

/// `POST /api/staff/accounts/:id/password` (administrator): a new password, the account's
/// sessions end.
pub fn reset_password(req: Request, params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let id = account_id(&params)?;
    let body: PasswordReset = kiosque_spin::json::parse_body(&req)?;
    staff::reset_password(&store()?, &id, &body.new_password, salt()?)?;
    Ok(no_content())
}

/// `GET /api/staff/tokens`: the signed-in account's personal tokens.
pub fn list_tokens(req: Request, _params: Params) -> Result<Response, ApiError> {
    let account = session_account(auth::require(&req, Permission::View)?)?;
    let tokens = session::list_tokens(&store()?, &account)?;
    Ok(json(200, &serde_json::json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
struct NewToken {
    name: String,
    scopes: Vec<String>,
}

/// `POST /api/staff/tokens`: 201 with the token and its secret, shown this once.
pub fn create_token(req: Request, _params: Params) -> Result<Response, ApiError> {
    let staff = auth::require(&req, Permission::View)?;
    let account = session_account(staff)?;
    let body: NewToken = kiosque_spin::json::parse_body(&req)?;
    let scopes = session::parse_scopes(account.role, &body.scopes)?;
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        kiosque_domain::ids::base32_lower(&ids::random_bytes::<20>()?)
    );
    let id = TokenId::generate(ids::random_bytes()?);
    let token = session::create_token(&store()?, now(), &account, id, &body.name, scopes, &secret)?;
    let mut response = json(
        201,
        &serde_json::json!({ "token": token, "secret": secret }),
    );
    response.set_header("cache-control", "no-store");
    Ok(response)
}

/// `DELETE /api/staff/tokens/:id`: the token stops working at once.
pub fn revoke_token(req: Request, params: Params) -> Result<Response, ApiError> {
    let account = session_account(auth::require(&req, Permission::View)?)?;
    let id = TokenId::parse(params.get("id").unwrap_or_default())
        .map_err(|_| ApiError::from(StaffError::NotFound))?;
    session::revoke_token(&store()?, &account.id, &id)?;
    Ok(no_content())
}

/// `GET /api/staff/audit?before=` (administrator): 50 entries, newest first.
pub fn audit(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require_admin(&req)?;
    let before = match form::query_param(req.query(), "before") {
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::new(400, "invalid", "before: must be a positive whole number")
        })?),
        None => None,
    };
    let (entries, next_before) = audit::page(&store()?, before).map_err(StaffError::from)?;
    Ok(json(
        200,
        &serde_json::json!({ "entries": entries, "next_before": next_before }),
    ))
}
