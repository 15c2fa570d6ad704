//! Patrons' data (RGPD) across areas: the daily retention purge the cron calls, and erasure
//! by a third party's handle (campaign walls) or a participant's email (contests).
//! Administrators only. Each call does bounded work per area (every area keeps its own
//! cursor in the store) and answers `more: true` while some area has work left.

use kiosque_domain::campaigns::privacy as mentions;
use kiosque_domain::contests::{self, Email};
use kiosque_domain::tutorials::feedback;
use kiosque_domain::{Clock, questions, retention};
use kiosque_spin::auth::Permission;
use kiosque_spin::json::parse_body;
use kiosque_spin::response::json;
use kiosque_spin::{ApiError, SpinStore, SystemClock, auth, config};
use serde::Deserialize;
use serde_json::json as json_value;
use spin_sdk::http::{Params, Request, Response};

use crate::engage::{contact_key, retention_days};

/// A retention in days from `variable`: `default` when unset; a value that is not a number or
/// longer than `max` is refused (logged) and the default used, so a typo never keeps data
/// longer than intended nor purges early.
fn days_variable(variable: &str, default: u32, max: u32) -> u32 {
    let Some(raw) = config::variable(variable) else {
        return default;
    };
    match raw.trim().parse::<u32>() {
        Ok(days) if days <= max => days,
        _ => {
            eprintln!("variable {variable}: expected 0 to {max} days; using {default}");
            default
        }
    }
}

/// `POST /api/privacy/purge` (admin, the daily cron): one bounded step of each area's
/// retention purge: contest contacts (`contest_contact_retention_days`), campaign mentions
/// (`mention_retention_days`), question answers and tutorial comments
/// (`answer_retention_days`), tutorial reading records (`reading_retention_days`).
pub fn purge(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let store = SpinStore::open_default()?;
    let contests = contests::purge_due(&store, &SystemClock, retention_days())?;
    let mention_days = days_variable(
        "mention_retention_days",
        mentions::DEFAULT_RETENTION_DAYS,
        mentions::MAX_RETENTION_DAYS,
    );
    let walls = mentions::purge_due(&store, &SystemClock, mention_days)?;
    let now = SystemClock.now();
    let answer_days = days_variable(
        "answer_retention_days",
        retention::DEFAULT_ANSWER_RETENTION_DAYS,
        retention::MAX_RETENTION_DAYS,
    );
    let answers = questions::purge_answers(&store, now, answer_days)?;
    let comments = feedback::purge_comments(&store, now, answer_days)?;
    let reading_days = days_variable(
        "reading_retention_days",
        feedback::DEFAULT_READING_RETENTION_DAYS,
        retention::MAX_RETENTION_DAYS,
    );
    let readers = feedback::purge_readers(&store, now, reading_days)?;
    let more = contests.more || walls.more || answers.more || comments.more || readers.more;
    Ok(json(
        200,
        &json_value!({"contests": contests, "mentions": walls, "answers": answers,
                      "comments": comments, "readers": readers, "more": more}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseRequest {
    /// A social media handle (`@name@server`, `name.bsky.social`, `@username`).
    #[serde(default)]
    handle: Option<String>,
    /// A contest participant's email.
    #[serde(default)]
    email: Option<String>,
    /// Where to resume: the previous answer's `next_from` (1 to start).
    #[serde(default)]
    from: Option<u64>,
}

/// `POST /api/privacy/erase` `{"handle"}` or `{"email"}`, `"from"?` (admin): erases what is
/// stored about that person, one page at a time: call again with `from: next_from` while
/// `more` is true. POST, so the identifier stays out of URLs and logs.
pub fn erase(req: Request, _params: Params) -> Result<Response, ApiError> {
    auth::require(&req, Permission::Administer)?;
    let body: EraseRequest = parse_body(&req)?;
    let from = body.from.unwrap_or(1).max(1);
    let store = SpinStore::open_default()?;
    match (body.handle.as_deref().map(str::trim), body.email) {
        (Some(handle), None)
            if !handle.trim_start_matches('@').is_empty() && handle.len() <= 200 =>
        {
            let report = mentions::erase_author(&store, handle, from)?;
            Ok(json(
                200,
                &json_value!({"removed": report.removed, "next_from": report.next_from,
                              "more": report.next_from.is_some()}),
            ))
        }
        (None, Some(email)) => {
            let email = Email::parse(&email).map_err(|m| ApiError::new(400, "invalid_email", m))?;
            let key = contact_key()?;
            let report = contests::erase_participant(&store, &key, &email, from)?;
            Ok(json(
                200,
                &json_value!({"removed": report.erased_entries, "next_from": report.next_from,
                              "more": report.next_from.is_some()}),
            ))
        }
        _ => Err(ApiError::new(
            400,
            "invalid_request",
            "give either handle (1 to 200 characters) or email",
        )),
    }
}
