//! Refusing state-changing requests that another site's page sent (cross-site request
//! forgery): a vote must come from a patron on our pages, not from a form or script elsewhere
//! that rides on their voter cookie.
//!
//! Two signals, both set by the browser and not by page scripts: `Sec-Fetch-Site: cross-site`
//! is refused outright; otherwise an `Origin` header, when present, must name one of our own
//! hosts. Requests with neither (curl, automation, old browsers on a same-origin form) pass:
//! the voter cookie is `SameSite=Lax`, so older browsers do not send it on cross-site posts.

use spin_sdk::http::Request;

use crate::config;
use crate::error::RequestError;

/// Refuses `req` when a browser says another site sent it.
///
/// Our hosts are the one in `spin-full-url` (Spin's view of the request URL; the request URI
/// or `Host` only where that header is missing) and the host of the `public_base_url`
/// variable, for deployments behind a proxy that rewrites the host Spin sees. Hosts are
/// compared without scheme or port, so a TLS-terminating proxy (`https` outside, `http`
/// inside) does not refuse our own pages.
pub fn check(req: &Request) -> Result<(), RequestError> {
    let header = |name: &str| req.header(name).and_then(|v| v.as_str());
    let mut own_hosts = Vec::with_capacity(2);
    let request_host = header("spin-full-url")
        .and_then(url_host)
        .or_else(|| url_host(req.uri()))
        .or_else(|| header("host").and_then(authority_host));
    own_hosts.extend(request_host);
    own_hosts.extend(config::public_base_url().as_deref().and_then(url_host));
    verdict(header("sec-fetch-site"), header("origin"), &own_hosts)
}

/// The decision, apart from reading the request.
fn verdict(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    own_hosts: &[String],
) -> Result<(), RequestError> {
    if sec_fetch_site.is_some_and(|site| site.trim().eq_ignore_ascii_case("cross-site")) {
        return Err(RequestError::CrossSite);
    }
    match origin {
        None => Ok(()),
        // `Origin: null` (sandboxed frames, some redirects) names no host: it cannot be ours.
        Some(origin) => match url_host(origin) {
            Some(host) if own_hosts.contains(&host) => Ok(()),
            _ => Err(RequestError::CrossSite),
        },
    }
}

/// The lower-case host of an absolute URL (`https://Bib.Example:8443/x` -> `bib.example`),
/// read by the `http` crate (spin-sdk's own request URI type): a user part
/// (`https://ours@evil.example`) does not hide the host.
fn url_host(url: &str) -> Option<String> {
    let uri = url.trim().parse::<http::Uri>().ok()?;
    uri.scheme()?;
    uri.host()
        .filter(|host| !host.is_empty())
        .map(str::to_ascii_lowercase)
}

/// The lower-case host of `host[:port]` or `[v6][:port]`.
fn authority_host(authority: &str) -> Option<String> {
    let authority = authority.trim().parse::<http::uri::Authority>().ok()?;
    if authority.as_str().contains('@') {
        return None;
    }
    Some(authority.host().to_ascii_lowercase()).filter(|host| !host.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(sec_fetch_site: Option<&str>, origin: Option<&str>, allowed: bool) {
        let own = ["bib.example".to_owned(), "127.0.0.1".to_owned()];
        assert_eq!(
            verdict(sec_fetch_site, origin, &own).is_ok(),
            allowed,
            "{sec_fetch_site:?} {origin:?}"
        );
    }

    #[test]
    fn other_sites_are_refused_and_our_pages_pass() {
        // Our own pages, in every shape a browser sends them.
        check(Some("same-origin"), Some("https://bib.example"), true);
        check(None, Some("http://BIB.example:8080"), true);
        check(Some("none"), None, true);
        check(None, Some("http://127.0.0.1:3000"), true);
        // Clients that are not browsers send neither header.
        check(None, None, true);

        check(Some("cross-site"), None, false);
        check(Some("Cross-Site"), Some("https://bib.example"), false);
        check(None, Some("https://evil.example"), false);
        check(Some("same-site"), Some("https://www.bib.example"), false);
        check(None, Some("https://bib.example.evil.example"), false);
        check(None, Some("https://bib.example@evil.example"), false);
        check(None, Some("null"), false);
        check(None, Some(""), false);
    }

    #[test]
    fn hosts_come_from_urls_and_authorities() {
        assert_eq!(
            url_host("https://Bib.Example:8443/polls/x?y").as_deref(),
            Some("bib.example")
        );
        assert_eq!(url_host("http://[::1]:3000/").as_deref(), Some("[::1]"));
        assert_eq!(url_host("/polls/x"), None);
        assert_eq!(url_host("null"), None);
        assert_eq!(
            authority_host("localhost:3000").as_deref(),
            Some("localhost")
        );
        assert_eq!(authority_host("[::1"), None);
    }
}
