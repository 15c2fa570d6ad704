//! The anonymous visitor behind a vote, remembered by a cookie.

use kiosque_domain::polls::VoterId;
use kiosque_spin::{ApiError, cookies, ids};
use spin_sdk::http::{Request, Response};

/// The cookie holding the visitor's random token.
pub const COOKIE: &str = "kiosque_voter";
const ONE_YEAR_SECS: u64 = 365 * 24 * 60 * 60;

/// The visitor's token from the cookie; a missing or malformed cookie counts as none.
pub fn from_cookie(req: &Request) -> Option<VoterId> {
    cookies::get(req, COOKIE).and_then(|value| VoterId::parse(&value).ok())
}

/// The visitor, plus the `Set-Cookie` value to send when the token is new.
pub fn identify(req: &Request) -> Result<(VoterId, Option<String>), ApiError> {
    if let Some(voter) = from_cookie(req) {
        return Ok((voter, None));
    }
    let voter = ids::new_voter_token()?;
    let cookie = cookies::set_cookie(req, COOKIE, voter.as_str(), ONE_YEAR_SECS);
    Ok((voter, Some(cookie)))
}

pub fn attach(response: &mut Response, set_cookie: Option<String>) {
    if let Some(cookie) = set_cookie {
        response.set_header("set-cookie", cookie);
    }
}
