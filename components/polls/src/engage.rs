//! What the questions and contests handlers share: the submissions rate limit, the RGPD
//! retention setting, query parameters, and small HTML helpers for patron text.

use kiosque_domain::Clock;
use kiosque_domain::KvStore;
use kiosque_domain::Timestamp;
use kiosque_domain::contests::{self, ContactKey, ContestError};
use kiosque_domain::ratelimit::{self, Decision, RateLimit};
use kiosque_spin::Lang;
use kiosque_spin::html::layout::PageContext;
use kiosque_spin::html::{Markup, html};
use kiosque_spin::{ApiError, SystemClock, client, config};
use spin_sdk::http::{IntoResponse, Request, Response};

/// `rate_limit_submissions` as "max/seconds" (default "30/600"; "0/0" disables).
pub fn submission_limit() -> RateLimit {
    let raw = config::variable("rate_limit_submissions").unwrap_or_else(|| "30/600".to_owned());
    parse_limit(&raw).unwrap_or(RateLimit {
        max: 30,
        window_secs: 600,
    })
}

fn parse_limit(raw: &str) -> Option<RateLimit> {
    let (max, secs) = raw.trim().split_once('/')?;
    Some(RateLimit {
        max: max.trim().parse().ok()?,
        window_secs: secs.trim().parse().ok()?,
    })
}

/// `contest_contact_retention_days` (default 90). A value that is not a number, or longer
/// than `contests::MAX_RETENTION_DAYS` (ten years), is refused: logged, and the default used.
pub fn retention_days() -> u32 {
    const DEFAULT: u32 = 90;
    let Some(raw) = config::variable("contest_contact_retention_days") else {
        return DEFAULT;
    };
    match raw.trim().parse::<u32>() {
        Ok(days) if days <= contests::MAX_RETENTION_DAYS => days,
        _ => {
            eprintln!(
                "variable contest_contact_retention_days: expected 0 to {} days; using {DEFAULT}",
                contests::MAX_RETENTION_DAYS
            );
            DEFAULT
        }
    }
}

/// The secret that keys contest contact hashes (`card_hash_key`); contests refuse to run
/// without it (400 `contact_hash_key_missing`).
pub fn contact_key() -> Result<ContactKey, ContestError> {
    config::variable("card_hash_key")
        .as_deref()
        .and_then(ContactKey::new)
        .ok_or(ContestError::ContactKeyMissing)
}

/// Counts one submission of this client; `Err` carries the ready 429 answer (with
/// `Retry-After`), JSON or HTML as `page` says.
pub fn rate_limit(
    store: &dyn KvStore,
    req: &Request,
    scope: &str,
    page: bool,
) -> Result<(), Response> {
    limit(store, req, scope, submission_limit(), page, SUBMISSIONS)
}

/// Counts one vote or like of this client in `scope` (`contest_vote`, `like`) against
/// `rate_limit_votes`, like poll votes: a script that drops the cookie still meets it.
pub fn vote_rate_limit(
    store: &dyn KvStore,
    req: &Request,
    scope: &str,
    page: bool,
) -> Result<(), Response> {
    let limit_votes = config::rate_limit("rate_limit_votes", crate::voter::DEFAULT_VOTE_LIMIT);
    limit(store, req, scope, limit_votes, page, VOTES)
}

struct Messages {
    fr: [&'static str; 2],
    en: [&'static str; 2],
    api: &'static str,
}

const SUBMISSIONS: Messages = Messages {
    fr: [
        "Trop d’envois",
        "Trop d’envois depuis votre connexion : réessayez dans quelques minutes.",
    ],
    en: [
        "Too many submissions",
        "Too many submissions from your connection: try again in a few minutes.",
    ],
    api: "too many submissions from this address, try again later",
};

const VOTES: Messages = Messages {
    fr: [
        "Trop de votes",
        "Trop de votes depuis votre connexion : réessayez dans quelques minutes.",
    ],
    en: [
        "Too many votes",
        "Too many votes from your connection: try again in a few minutes.",
    ],
    api: "too many votes from this address, try again later",
};

fn limit(
    store: &dyn KvStore,
    req: &Request,
    scope: &str,
    limit: RateLimit,
    page: bool,
    messages: Messages,
) -> Result<(), Response> {
    let decision = ratelimit::check(
        store,
        SystemClock.now(),
        scope,
        &client::address(req),
        limit,
    );
    match decision {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Limited { retry_after_secs }) => {
            let mut response = if page {
                kiosque_spin::PageError::new(429, "rate_limited", messages.fr, messages.en)
                    .into_response()
            } else {
                ApiError::new(429, "rate_limited", messages.api).into_response()
            };
            response.set_header("retry-after", retry_after_secs.to_string());
            Err(response)
        }
        // The limiter is a brake: a store failure here must not refuse the patron.
        Err(e) => {
            eprintln!("rate limit check failed: {e}");
            Ok(())
        }
    }
}

// Shared with the scheduler's campaign pages, so they live in the adapter crate.
pub use kiosque_spin::form::{api_query_u64, query_u64};
pub use kiosque_spin::html::patron::{pagination, patron_name, patron_text};

/// The language staff write questions and contests in.
const STAFF_LANG: Lang = Lang::Fr;

/// The `lang` attribute of elements holding staff text: `fr` when the page is in another
/// language, none otherwise (`lang=[staff_lang(ctx)]`).
pub fn staff_lang(ctx: &PageContext) -> Option<&'static str> {
    (ctx.lang != STAFF_LANG).then_some(STAFF_LANG.code())
}

/// A date and time in the library's zone, saying which, in the page's language, inside `<time>`.
pub fn library_time(ctx: &PageContext, t: Timestamp) -> Markup {
    let text = match ctx.lang {
        Lang::Fr => config::library_zone().local(t).format_fr_with_zone(),
        Lang::En => config::library_zone().local(t).format_en_with_zone(),
    };
    html! { time datetime=(t) { (text) } }
}

/// The error summary at the top of a refused form: a list of links to the fields at fault
/// (`(field id, label)`), each message being tied to its field below.
pub fn error_summary(ctx: &PageContext, fields: &[(&str, &str)]) -> Markup {
    html! {
        div class="error-summary" role="alert" id="error-summary" tabindex="-1" {
            p {
                (ctx.t(
                    "Le formulaire n’a pas été envoyé ; à corriger :",
                    "The form was not sent; please correct:",
                ))
            }
            ul {
                @for (id, label) in fields {
                    li { a href=(format!("#{id}")) { (label) } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_patron_links_are_ugc() {
        assert_eq!(
            parse_limit("30/600"),
            Some(RateLimit {
                max: 30,
                window_secs: 600
            })
        );
        assert_eq!(parse_limit("x"), None);
    }
}
