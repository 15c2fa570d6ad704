//! Staff authentication: `Authorization: Bearer <admin_token>`.

use kiosque_domain::inbound::verify::constant_time_eq;
use spin_sdk::http::Request;

use crate::config;
use crate::error::ApiError;

/// Succeeds when the request carries the `admin_token` variable as a bearer token. A missing
/// or wrong token, or an unset token variable (the admin API is then closed), is a 401. The
/// token is never logged or echoed.
pub fn require_admin(req: &Request) -> Result<(), ApiError> {
    require_bearer(req, "admin_token")
}

/// Succeeds when the request carries the secret variable `variable` as a bearer token, e.g.
/// `scheduler_tick_token` for the cron that calls the scheduler tick. Same rules as
/// [`require_admin`]: constant-time comparison, an unset variable closes the endpoint.
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
