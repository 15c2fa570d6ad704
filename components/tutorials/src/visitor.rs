//! The reader's random token (the `kiosque_reader` cookie, no personal data), for "where
//! patrons stopped" and one rating per patron; and the submissions rate limit.
//!
//! It is not the polls' `kiosque_voter` cookie, and never derived from it: a name and a random
//! value of its own, so what a patron reads cannot be linked to how they vote. It lives as
//! long as the reading records are kept (`tutorials` purge them after six months).

use kiosque_domain::Clock;
use kiosque_domain::polls::VoterId;
use kiosque_domain::ratelimit::{self, Decision, RateLimit};
use kiosque_domain::store::KvStore;
use kiosque_spin::cookies::SameSite;
use kiosque_spin::{ApiError, SystemClock, client, config, cookies, ids};
use spin_sdk::http::{Request, Response};

pub const COOKIE: &str = "kiosque_reader";
/// Six months: no longer than the reading records it points to are meant to live.
const SIX_MONTHS_SECS: u64 = 183 * 24 * 60 * 60;
const DEFAULT_LIMIT: RateLimit = RateLimit {
    max: 30,
    window_secs: 600,
};

/// The visitor, plus the `Set-Cookie` value to send when the token is new.
pub fn identify(req: &Request) -> Result<(VoterId, Option<String>), ApiError> {
    if let Some(visitor) = cookies::get(req, COOKIE).and_then(|v| VoterId::parse(&v).ok()) {
        return Ok((visitor, None));
    }
    let visitor = ids::new_voter_token()?;
    let cookie = cookies::set_cookie(
        req,
        COOKIE,
        visitor.as_str(),
        SIX_MONTHS_SECS,
        SameSite::Lax,
    );
    Ok((visitor, Some(cookie)))
}

pub fn attach(response: &mut Response, set_cookie: Option<String>) {
    if let Some(cookie) = set_cookie {
        response.set_header("set-cookie", cookie);
    }
}

/// Counts one feedback submission of this client against `rate_limit_submissions`;
/// `Some(seconds)` when over the limit. A store failure lets the patron through: the limiter
/// is a brake, not a gate.
pub fn limited(store: &dyn KvStore, req: &Request) -> Option<u32> {
    let limit = config::rate_limit("rate_limit_submissions", DEFAULT_LIMIT);
    match ratelimit::check(
        store,
        SystemClock.now(),
        "tutorial_feedback",
        &client::address(req),
        limit,
    ) {
        Ok(Decision::Allowed) => None,
        Ok(Decision::Limited { retry_after_secs }) => Some(retry_after_secs),
        Err(e) => {
            eprintln!("rate limit check failed: {e}");
            None
        }
    }
}
