//! Who is voting: the browser's cookie, and the voter the poll's method asks for (the cookie
//! itself, a card number or an invitation code); plus the per-address vote rate limit.

use kiosque_domain::Clock;
use kiosque_domain::polls::identity::card_hash;
use kiosque_domain::polls::{InviteCode, Poll, PollError, Voter, VoterId, VoterMethod};
use kiosque_domain::ratelimit::{self, Decision, RateLimit};
use kiosque_domain::store::KvStore;
use kiosque_spin::cookies::SameSite;
use kiosque_spin::{ApiError, SystemClock, client, config, cookies, ids};
use spin_sdk::http::{Request, Response};

/// The cookie holding the voter's random token. Polls, questions and contests only: the
/// tutorials' reader has a cookie of its own (`kiosque_reader`), so reading and voting are
/// never linked.
pub const COOKIE: &str = "kiosque_voter";
const ONE_YEAR_SECS: u64 = 365 * 24 * 60 * 60;
/// `rate_limit_votes` when unset: generous, a library's Wi-Fi puts many patrons behind one
/// address.
pub const DEFAULT_VOTE_LIMIT: RateLimit = RateLimit {
    max: 300,
    window_secs: 600,
};

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
    let cookie = cookies::set_cookie(req, COOKIE, voter.as_str(), ONE_YEAR_SECS, SameSite::Lax);
    Ok((voter, Some(cookie)))
}

pub fn attach(response: &mut Response, set_cookie: Option<String>) {
    if let Some(cookie) = set_cookie {
        response.set_header("set-cookie", cookie);
    }
}

/// The voter as `poll` identifies them, from the browser and what the patron typed.
pub fn for_poll(
    poll: &Poll,
    browser: &VoterId,
    card: Option<&str>,
    code: Option<&str>,
) -> Result<Voter, PollError> {
    match poll.voter_method {
        VoterMethod::Cookie => Ok(Voter::Cookie(browser.clone())),
        VoterMethod::Card { format } => {
            let card = format.normalise(card.unwrap_or(""))?;
            // Read per request (Spin instantiates per request anyway); never logged.
            // Trimmed like `admin_token`: a trailing newline added at a redeploy must not
            // change every card's hash (which would let every patron vote again).
            let key = config::variable("card_hash_key").ok_or(PollError::CardKeyMissing)?;
            Ok(Voter::Card(card_hash(key.trim(), &poll.id, &card)))
        }
        VoterMethod::Codes => InviteCode::parse(code.unwrap_or(""))
            .map(Voter::Code)
            .map_err(|_| PollError::InvalidCode),
    }
}

/// Counts this vote against the client's address (`rate_limit_votes`, "max/seconds").
/// Costs 1 read and 1 compare-and-swap, none when the limit is disabled.
pub fn rate_limit(store: &dyn KvStore, req: &Request) -> Result<(), PollError> {
    let limit = config::rate_limit("rate_limit_votes", DEFAULT_VOTE_LIMIT);
    match ratelimit::check(
        store,
        SystemClock.now(),
        "vote",
        &client::address(req),
        limit,
    )? {
        Decision::Allowed => Ok(()),
        Decision::Limited { retry_after_secs } => Err(PollError::RateLimited { retry_after_secs }),
    }
}
