//! Reading the `cookie` header and writing `Set-Cookie`.
//!
//! Hand-made on purpose: the `cookie` crate always brings the `time` crate's date parsing and
//! formatting (for `Expires`, which Kiosque never sends: `Max-Age` only), measured at +36 KB
//! in every component's `.wasm` for what is one `split` and one `format!` here.
//!
//! Whether a cookie is `Secure` follows the public address (`public_base_url`) when it is
//! https: behind a TLS-terminating proxy the request the component sees is plain http, yet
//! browsers reach the site over https only.

use spin_sdk::http::Request;

use crate::config;

/// Whether the public address is https (then every cookie is `Secure`, the staff session
/// takes the `__Host-` prefix and answers carry HSTS), whatever the request's own scheme.
pub fn https_base(public_base_url: Option<&str>) -> bool {
    public_base_url.is_some_and(|url| {
        url.trim()
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    })
}

/// Whether the configured public address is https ([`https_base`] of `public_base_url`).
pub fn site_is_https() -> bool {
    https_base(config::public_base_url().as_deref())
}

/// The name a host-only cookie goes by: `__Host-{name}` on an https site, so that browsers
/// accept it only `Secure`, for the whole site and from this very host (no sub-domain or
/// plain-http page can plant one); plain `name` on http (development).
pub fn host_only_name(name: &str, https: bool) -> String {
    if https {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of cookie `name`, if the browser sent it.
pub fn get(req: &Request, name: &str) -> Option<String> {
    let header = req.header("cookie")?.as_str()?;
    find(header, name).map(str::to_owned)
}

fn find<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (n, v) = pair.split_once('=')?;
        (n.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

/// How far a cookie travels with requests other sites start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigation from elsewhere, not on cross-site posts: patrons'
    /// cookies, so a shared link to a poll still knows the voter.
    Lax,
    /// Never sent on a request another site started: the staff session.
    Strict,
}

/// A `Set-Cookie` value: HttpOnly (no script needs it), whole site, `max_age_secs` long
/// (0 deletes it), and `Secure` whenever the public address is https, otherwise except on
/// plain-http localhost during development, where browsers would drop it.
pub fn set_cookie(
    req: &Request,
    name: &str,
    value: &str,
    max_age_secs: u64,
    same_site: SameSite,
) -> String {
    let full_url = req
        .header("spin-full-url")
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| req.uri());
    build(
        name,
        value,
        max_age_secs,
        is_secure(site_is_https(), full_url),
        same_site,
    )
}

/// `Secure` on an https site whatever the request's scheme (a proxy may forward plain
/// http); otherwise everywhere but plain-http localhost.
fn is_secure(https_site: bool, request_url: &str) -> bool {
    https_site || !is_local_http(request_url)
}

fn build(name: &str, value: &str, max_age_secs: u64, secure: bool, same_site: SameSite) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let same_site = match same_site {
        SameSite::Lax => "Lax",
        SameSite::Strict => "Strict",
    };
    format!(
        "{name}={value}; Max-Age={max_age_secs}; Path=/; HttpOnly; SameSite={same_site}{secure}"
    )
}

fn is_local_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let header = "theme=dark; kiosque_voter=abc_DEF-123; other=\"q\"";
        assert_eq!(find(header, "kiosque_voter"), Some("abc_DEF-123"));
        assert_eq!(find(header, "other"), Some("q"));
        assert_eq!(find(header, "voter"), None);
        assert_eq!(find("", "x"), None);
    }

    #[test]
    fn an_https_public_address_makes_cookies_secure_and_host_only() {
        let https = https_base(Some("https://culture.example.fr"));
        assert!(https);
        assert!(https_base(Some("HTTPS://culture.example.fr")));
        assert!(!https_base(Some("http://localhost:3000")));
        assert!(!https_base(None));
        // Behind a TLS-terminating proxy the request is plain http, even on localhost.
        assert!(is_secure(true, "http://10.0.0.5:3000/api/staff/sign-in"));
        assert!(is_secure(true, "http://localhost:3000/"));
        assert!(!is_secure(false, "http://localhost:3000/"));
        assert!(is_secure(false, "http://mediatheque.example/"));
        assert_eq!(
            host_only_name("kiosque_session", true),
            "__Host-kiosque_session"
        );
        assert_eq!(host_only_name("kiosque_session", false), "kiosque_session");
    }

    #[test]
    fn secure_except_on_local_http() {
        assert!(is_local_http("http://localhost:3000/polls/x"));
        assert!(is_local_http("http://127.0.0.1/"));
        assert!(is_local_http("http://[::1]:3000/"));
        assert!(!is_local_http("https://localhost/"));
        assert!(!is_local_http("http://localhost.evil.example/"));
        assert!(!is_local_http("http://mediatheque.example/"));
        assert_eq!(
            build("v", "tok", 60, true, SameSite::Lax),
            "v=tok; Max-Age=60; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert!(!build("v", "tok", 60, false, SameSite::Lax).contains("Secure"));
        assert!(build("s", "tok", 60, true, SameSite::Strict).contains("SameSite=Strict; Secure"));
    }
}
