//! Page views, counted once for every component by [`crate::serve`] after the handler
//! answered (the rules are `kiosque_domain::analytics::audience`'s: what a view is, where it
//! came from). This module only reads the request's headers and the answer's status and type.
//!
//! Counting never touches the answer: no cookie is set, `Cache-Control`, `ETag`, `Vary` and
//! the body stay as the handler made them, and a failure to count is logged while the page
//! is answered as if nothing happened. Nothing about the visitor is stored: no address, no
//! user agent, no referrer beyond its source (and a Mastodon server's host).

use std::sync::atomic::{AtomicBool, Ordering};

use kiosque_domain::Clock;
use kiosque_domain::analytics::audience::{self, Visit};
use spin_sdk::http::{Method, Request, Response};

use crate::{SpinStore, SystemClock, auth, config};

/// Set by [`crate::response::conditional`] when it turned an HTML page into a 304, which
/// carries no `Content-Type`: a browser revalidating a page it holds is a view. Spin runs
/// one request per instance; [`Seen::of`] clears it before each handler runs.
static NOT_MODIFIED_HTML: AtomicBool = AtomicBool::new(false);

/// Notes that this request's 304 stands for an HTML page.
pub fn note_not_modified_html() {
    NOT_MODIFIED_HTML.store(true, Ordering::Relaxed);
}

/// What counting needs from a request, taken before the handler consumes it.
pub(crate) struct Seen {
    is_get: bool,
    path: String,
    user_agent: Option<String>,
    referer: Option<String>,
    sec_purpose: Option<String>,
    purpose: Option<String>,
    x_moz: Option<String>,
    cookie: Option<String>,
    full_url: Option<String>,
}

impl Seen {
    pub(crate) fn of(req: &Request) -> Seen {
        NOT_MODIFIED_HTML.store(false, Ordering::Relaxed);
        let is_get = *req.method() == Method::Get;
        // Only a `GET` can be a view: other requests copy no header.
        let header = |name: &str| {
            is_get
                .then(|| req.header(name).and_then(|value| value.as_str()))
                .flatten()
                .map(str::to_owned)
        };
        Seen {
            is_get,
            path: req.path().to_owned(),
            user_agent: header("user-agent"),
            referer: header("referer"),
            sec_purpose: header("sec-purpose"),
            purpose: header("purpose"),
            x_moz: header("x-moz"),
            cookie: header("cookie"),
            full_url: header("spin-full-url"),
        }
    }
}

/// Counts `seen` as a view when `response` makes it one; never fails the request.
pub(crate) fn count(seen: &Seen, response: &Response) {
    if !seen.is_get {
        return;
    }
    let status = *response.status();
    let content_type = if status == 304 && NOT_MODIFIED_HTML.load(Ordering::Relaxed) {
        Some("text/html")
    } else {
        response.header("content-type").and_then(|v| v.as_str())
    };
    let visit = Visit {
        method: "GET",
        status,
        content_type,
        path: &seen.path,
        user_agent: seen.user_agent.as_deref(),
        sec_purpose: seen.sec_purpose.as_deref(),
        purpose: seen.purpose.as_deref(),
        x_moz: seen.x_moz.as_deref(),
        cookie: seen.cookie.as_deref(),
    };
    if !audience::is_counted(&visit, auth::SESSION_COOKIE) {
        return;
    }
    let Some(page) = audience::page_path(&seen.path) else {
        return;
    };
    // The site's own hosts: the request's, and the public address's (behind a proxy the
    // request may name an internal host).
    let request_host = seen.full_url.as_deref().and_then(authority);
    let public_host = config::public_base_url().as_deref().and_then(authority);
    let own: Vec<&str> = [request_host.as_deref(), public_host.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let referral = audience::referral(seen.referer.as_deref(), &own);
    let counted = SpinStore::open_default()
        .and_then(|store| audience::record_view(&store, SystemClock.now(), page, &referral));
    if let Err(e) = counted {
        eprintln!("page view not counted: {e}");
    }
}

/// The `host[:port]` of an absolute address, as the `http` crate reads it.
fn authority(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    uri.authority()
        .map(|authority| authority.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_hosts_come_from_absolute_addresses() {
        assert_eq!(
            authority("https://bib.example/polls/p1?x=1").as_deref(),
            Some("bib.example")
        );
        assert_eq!(
            authority("http://127.0.0.1:3000/").as_deref(),
            Some("127.0.0.1:3000")
        );
        assert_eq!(authority("/polls/p1"), None);
        assert_eq!(authority("not a url"), None);
    }
}
