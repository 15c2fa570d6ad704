//! Who is asking: staff authentication and permissions, and the audit trail of their changes.
//!
//! A staff request proves itself in one of three ways, checked in this order:
//! - `Authorization: Bearer <admin_token>`: the bootstrap administrator (no account), for the
//!   first account and for automation;
//! - `Authorization: Bearer kq_...`: a personal API token, narrowed to its scopes;
//! - the session cookie of a console sign-in ([`session_cookie`]: `__Host-kiosque_session`
//!   on an https site); its state-changing requests must also
//!   carry the session's CSRF token in `X-CSRF-Token` (403 `csrf` otherwise).
//!
//! [`require`] then checks the role's [`Permission`] (403 `forbidden`) and, for a
//! state-changing method, that the request came from our own site. It also remembers who
//! asked, so [`crate::serve`] writes one audit entry per staff change whatever the handler.
//! Tokens are compared in constant time and never logged or echoed.

use std::sync::Mutex;

use kiosque_domain::hashing::constant_time_eq;
use kiosque_domain::staff::audit::{self, Actor, AuditEntry};
use kiosque_domain::staff::session::{self, TOKEN_PREFIX};
use kiosque_domain::staff::{Account, AccountId, Role};
use kiosque_domain::{Clock, Timestamp};
use spin_sdk::http::{Method, Request};

pub use kiosque_domain::staff::Permission;

use crate::error::ApiError;
use crate::{SpinStore, SystemClock, config, cookies, same_site};

/// The console's session cookie, as named on a plain-http (development) site.
pub const SESSION_COOKIE: &str = "kiosque_session";

/// The name the session cookie goes by here: `__Host-kiosque_session` when the public
/// address is https (see [`cookies::host_only_name`]), `kiosque_session` otherwise. Only
/// that name is read: on an https site a cookie without the prefix may have been planted
/// over plain http, so staff sign in once more after `public_base_url` is set.
pub fn session_cookie() -> String {
    cookies::host_only_name(SESSION_COOKIE, cookies::site_is_https())
}
/// The header that carries the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A staff member as a request proved them.
#[derive(Debug)]
pub struct Staff {
    /// `None` for the bootstrap `admin_token`.
    pub account: Option<Account>,
    pub role: Role,
    /// A personal token's scopes; `None` for sessions and the bootstrap token.
    scopes: Option<Vec<Permission>>,
    /// A console session's CSRF token, for the console to send back.
    pub csrf: Option<String>,
}

impl Staff {
    fn bootstrap() -> Staff {
        Staff {
            account: None,
            role: Role::Administrator,
            scopes: None,
            csrf: None,
        }
    }

    /// An account that just proved itself (sign-in).
    pub fn from_account(account: Account) -> Staff {
        Staff {
            role: account.role,
            account: Some(account),
            scopes: None,
            csrf: None,
        }
    }

    pub fn can(&self, need: Permission) -> bool {
        self.role.allows(need)
            && self
                .scopes
                .as_ref()
                .is_none_or(|scopes| need == Permission::View || scopes.contains(&need))
    }

    pub fn account_id(&self) -> Option<&AccountId> {
        self.account.as_ref().map(|a| &a.id)
    }

    /// How the audit log names this staff member.
    pub fn actor(&self) -> Actor {
        match &self.account {
            Some(account) => Actor {
                id: Some(account.id.to_string()),
                name: account.name.clone(),
            },
            None => Actor {
                id: None,
                name: "admin_token".to_owned(),
            },
        }
    }
}

/// Who asked in this request. Spin runs one request per component instance, so this holds
/// one request's staff member at most; [`crate::serve`] reads it once the handler is done.
static CURRENT_ACTOR: Mutex<Option<Actor>> = Mutex::new(None);

/// Remembers `actor` as the author of this request's changes (sign-in does so itself, as it
/// proves who asks without [`require`]).
pub fn remember_actor(actor: Actor) {
    if let Ok(mut current) = CURRENT_ACTOR.lock() {
        *current = Some(actor);
    }
}

/// Forgets any actor before a request starts, so an instance a host reuses never carries
/// one request's staff member into the next; called by [`crate::serve`].
pub fn forget_actor() {
    if let Ok(mut current) = CURRENT_ACTOR.lock() {
        *current = None;
    }
}

/// Writes the audit entry of a state-changing staff request once its answer is known;
/// called by [`crate::serve`] for every request. Reads and anonymous requests write nothing.
pub fn audit_request(method: &Method, path: &str, status: u16) {
    if is_safe(method) {
        return;
    }
    let Some(actor) = CURRENT_ACTOR.lock().ok().and_then(|mut c| c.take()) else {
        return;
    };
    let entry = AuditEntry {
        seq: 0,
        at: SystemClock.now(),
        actor,
        method: method.to_string(),
        path: path.to_owned(),
        status,
        client: None,
    };
    let written = SpinStore::open_default()
        .map_err(|e| e.to_string())
        .and_then(|store| audit::record(&store, entry).map_err(|e| e.to_string()));
    if let Err(e) = written {
        eprintln!("audit entry not written for {method} {path}: {e}");
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(method, Method::Get | Method::Head | Method::Options)
}

/// Authenticates `req` as staff allowed to `need`: 401 without valid credentials, 403
/// `csrf` for a session's change without its token, 403 `forbidden` when the role (or the
/// token's scopes) does not allow it, 403 `cross_site` for a change sent from another site.
pub fn require(req: &Request, need: Permission) -> Result<Staff, ApiError> {
    if !is_safe(req.method()) {
        same_site::check(req)?;
    }
    let staff = authenticate(req)?;
    remember_actor(staff.actor());
    if !staff.can(need) {
        return Err(ApiError::new(
            403,
            "forbidden",
            "your role does not allow this action",
        ));
    }
    Ok(staff)
}

/// The administrator's shorthand: `require(req, Permission::Administer)`.
pub fn require_admin(req: &Request) -> Result<Staff, ApiError> {
    require(req, Permission::Administer)
}

/// Whether `req` comes from signed-in staff (any role): pages use it to show drafts to staff.
/// Never fails; anything short of valid credentials is "no".
pub fn is_staff(req: &Request) -> bool {
    let has_credentials =
        req.header("authorization").is_some() || cookies::get(req, &session_cookie()).is_some();
    has_credentials && authenticate(req).is_ok()
}

/// The staff member behind `req`'s credentials, whatever their permissions.
pub fn authenticate(req: &Request) -> Result<Staff, ApiError> {
    let header = req.header("authorization").and_then(|v| v.as_str());
    if let Some(header) = header {
        let token = bearer_token(header).ok_or_else(ApiError::unauthorized)?;
        return authenticate_token(token);
    }
    let Some(secret) = cookies::get(req, &session_cookie()) else {
        return Err(ApiError::unauthorized());
    };
    let store = SpinStore::open_default().map_err(ApiError::internal)?;
    let Some(live) = session::resolve(&store, now(), &secret)? else {
        return Err(ApiError::unauthorized());
    };
    if !is_safe(req.method()) {
        let presented = req
            .header(CSRF_HEADER)
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !constant_time_eq(presented.trim().as_bytes(), live.csrf.as_bytes()) {
            return Err(ApiError::new(
                403,
                "csrf",
                "the console's CSRF token is missing or wrong; reload the page",
            ));
        }
    }
    Ok(Staff {
        role: live.account.role,
        account: Some(live.account),
        scopes: None,
        csrf: Some(live.csrf),
    })
}

fn authenticate_token(token: &str) -> Result<Staff, ApiError> {
    if let Some(expected) = config::variable("admin_token")
        && constant_time_eq(token.as_bytes(), expected.trim().as_bytes())
    {
        return Ok(Staff::bootstrap());
    }
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(ApiError::unauthorized());
    }
    let store = SpinStore::open_default().map_err(ApiError::internal)?;
    match session::resolve_token(&store, token)? {
        Some((account, scopes)) => Ok(Staff {
            role: account.role,
            account: Some(account),
            scopes: Some(scopes),
            csrf: None,
        }),
        None => Err(ApiError::unauthorized()),
    }
}

fn now() -> Timestamp {
    SystemClock.now()
}

/// Succeeds when the request carries the secret variable `variable` as a bearer token, e.g.
/// `scheduler_tick_token` for the cron that calls the scheduler tick. Same rules as
/// the admin token: constant-time comparison, an unset variable closes the endpoint.
pub fn require_bearer(req: &Request, variable: &str) -> Result<(), ApiError> {
    let Some(expected) = config::variable(variable) else {
        eprintln!("request refused: the {variable} variable is empty");
        return Err(ApiError::unauthorized());
    };
    let presented = req
        .header("authorization")
        .and_then(|v| v.as_str())
        .and_then(bearer_token);
    match presented {
        Some(token) if constant_time_eq(token.as_bytes(), expected.trim().as_bytes()) => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

/// Like [`require_bearer`], also accepting the token as the `token` query parameter, for
/// callers that cannot set headers: `spin aka crons` only takes a path and query. Platforms
/// may log query strings, so the header stays the preferred form.
pub fn require_bearer_or_query(req: &Request, variable: &str) -> Result<(), ApiError> {
    if req.header("authorization").is_some() {
        return require_bearer(req, variable);
    }
    let Some(expected) = config::variable(variable) else {
        eprintln!("request refused: the {variable} variable is empty");
        return Err(ApiError::unauthorized());
    };
    match crate::form::query_param(req.query(), "token") {
        Some(token) if constant_time_eq(token.trim().as_bytes(), expected.trim().as_bytes()) => {
            Ok(())
        }
        _ => Err(ApiError::unauthorized()),
    }
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_tokens() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }

    #[test]
    fn compares_whole_tokens() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
