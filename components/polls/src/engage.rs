//! What the questions and contests handlers share: the submissions rate limit, the RGPD
//! retention setting, query parameters, and small HTML helpers for patron text.

use kiosque_domain::Clock;
use kiosque_domain::KvStore;
use kiosque_domain::ratelimit::{self, Decision, RateLimit};
use kiosque_spin::html::escape;
use kiosque_spin::{ApiError, SystemClock, client, config, form};
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

/// `contest_contact_retention_days` (default 90).
pub fn retention_days() -> u32 {
    config::variable("contest_contact_retention_days")
        .and_then(|d| d.trim().parse().ok())
        .unwrap_or(90)
}

/// Counts one submission of this client; `Err` carries the ready 429 answer (with
/// `Retry-After`), JSON or HTML as `page` says.
pub fn rate_limit(
    store: &dyn KvStore,
    req: &Request,
    scope: &str,
    page: bool,
) -> Result<(), Response> {
    let decision = ratelimit::check(
        store,
        SystemClock.now(),
        scope,
        &client::address(req),
        submission_limit(),
    );
    match decision {
        Ok(Decision::Allowed) => Ok(()),
        Ok(Decision::Limited { retry_after_secs }) => {
            let mut response = if page {
                kiosque_spin::PageError::new(
                    429,
                    "rate_limited",
                    [
                        "Trop d’envois",
                        "Trop d’envois depuis votre connexion : réessayez dans quelques minutes.",
                    ],
                    [
                        "Too many submissions",
                        "Too many submissions from your connection: try again in a few minutes.",
                    ],
                )
                .into_response()
            } else {
                ApiError::new(
                    429,
                    "rate_limited",
                    "too many submissions from this address, try again later",
                )
                .into_response()
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

/// A positive integer query parameter, or `default`.
pub fn query_u64(req: &Request, name: &str, default: u64) -> u64 {
    form::query_param(req.query(), name)
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &u64| n >= 1)
        .unwrap_or(default)
}

/// Patron text as HTML: escaped, line breaks kept, and web addresses made links that search
/// engines do not follow (`rel="nofollow ugc"`).
pub fn patron_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        for (j, word) in line.split(' ').enumerate() {
            if j > 0 {
                out.push(' ');
            }
            let lower = word.get(..8).unwrap_or(word).to_ascii_lowercase();
            if (lower.starts_with("https://") || lower.starts_with("http://")) && word.len() > 10 {
                let href = escape(word);
                out.push_str(&format!(
                    "<a href=\"{href}\" rel=\"nofollow ugc noopener\">{href}</a>"
                ));
            } else {
                out.push_str(&escape(word));
            }
        }
    }
    out
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
        assert_eq!(
            patron_text("vu sur https://x.example/a?b=1&c=\"2\"\n<b>"),
            "vu sur <a href=\"https://x.example/a?b=1&amp;c=&quot;2&quot;\" rel=\"nofollow ugc noopener\">https://x.example/a?b=1&amp;c=&quot;2&quot;</a><br>&lt;b&gt;"
        );
        assert_eq!(patron_text("javascript:alert(1)"), "javascript:alert(1)");
    }
}
