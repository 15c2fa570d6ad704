//! Response builders with the headers every answer of a kind needs.

use serde::Serialize;
use spin_sdk::http::{Request, Response};

/// The content security policy of every HTML page: our own stylesheet and images, no
/// scripts (JSON-LD is data, not executed), forms only to ourselves, no framing.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of pages meant to be shown in other sites' iframes (a poll's widget): the
/// same as [`PAGE_CSP`] except that any site may frame it.
pub const EMBED_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors *";

/// The HSTS policy every answer carries when the public address is https: browsers then
/// refuse plain http to the site for a year, so a proxy's http side is never reached
/// directly by them. `None` otherwise (a development site on http must not pin https).
pub fn hsts(https_site: bool) -> Option<&'static str> {
    https_site.then_some("max-age=31536000")
}

/// Adds [`hsts`] to `response` when the site's public address is https; [`crate::serve`]
/// calls it for every answer.
pub fn add_hsts(response: &mut Response) {
    if let Some(policy) = hsts(crate::cookies::site_is_https()) {
        response.set_header("strict-transport-security", policy);
    }
}

/// Adds a second cookie to an answer that sets one already. spin-sdk's `Response` keeps one
/// value per header name, in a map whose names are case-sensitive, and hands every entry
/// to the host (`wasi:http` `fields.from-list`), which appends fields of the same name:
/// a differently cased name therefore leaves as one more `Set-Cookie` field.
pub fn add_second_cookie(response: &mut Response, set_cookie: String) {
    response.set_header("Set-Cookie", set_cookie);
}

/// A JSON answer. Serialising our own types cannot fail in practice; if it does, a 500.
pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-content-type-options", "nosniff")
            .header("cache-control", "no-store")
            .body(body)
            .build(),
        Err(e) => {
            eprintln!("internal error: failed to encode a JSON response: {e}");
            Response::builder()
                .status(500)
                .header("content-type", crate::error::PROBLEM_JSON)
                .body(
                    r#"{"type":"urn:kiosque:problem:internal_error","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal_error","error":{"code":"internal_error","message":"internal error"}}"#,
                )
                .build()
        }
    }
}

/// An HTML page with the security headers of every page.
pub fn html(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "strict-origin-when-cross-origin")
        .header("content-security-policy", PAGE_CSP)
        // Pages depend on Accept-Language when no `?lang=` is given.
        .header("vary", "accept-language, cookie")
        .header("cache-control", "no-cache")
        .body(body)
        .build()
}

/// An HTML page that other sites may frame (see [`EMBED_CSP`]).
pub fn html_embeddable(status: u16, body: String) -> Response {
    let mut response = html(status, body);
    response.set_header("content-security-policy", EMBED_CSP);
    response
}

/// An HTML page that embeds players from `frame_origins` (a live stream, a tutorial's video):
/// [`PAGE_CSP`] with those origins, and only those, allowed in `frame-src`.
pub fn html_with_frames(status: u16, body: String, frame_origins: &[String]) -> Response {
    let mut response = html(status, body);
    let origins: Vec<&str> = frame_origins
        .iter()
        .map(String::as_str)
        // An origin goes into a header: nothing that could end or extend the policy.
        .filter(|origin| {
            origin.starts_with("https://")
                && !origin.contains(|c: char| c.is_whitespace() || c == ';' || c == ',')
        })
        .collect();
    if !origins.is_empty() {
        response.set_header(
            "content-security-policy",
            format!("{PAGE_CSP}; frame-src {}", origins.join(" ")),
        );
    }
    response
}

/// A strong validator from the bytes (64-bit FNV-1a): cheap, stable across instances and
/// deploys, and it changes whenever the content does.
pub fn etag(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

/// `If-None-Match` uses the weak comparison: `W/` prefixes are ignored, `*` matches.
pub fn etag_matches(header: &str, etag: &str) -> bool {
    header.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// Makes a successful public answer (page, feed, calendar) cheap to serve again: adds an
/// `ETag` computed from the body and `cache_control`, and answers `304 Not Modified` without
/// the body when the client already holds that version. A page shared on a social network is
/// fetched by many previews and browsers at once; most of them can be answered this way.
/// Other statuses pass unchanged (an error page must not be cached as the page).
pub fn conditional(req: &Request, mut response: Response, cache_control: &str) -> Response {
    if *response.status() != 200 {
        return response;
    }
    let etag = etag(response.body());
    let fresh = req
        .header("if-none-match")
        .and_then(|value| value.as_str())
        .is_some_and(|header| etag_matches(header, &etag));
    if !fresh {
        response.set_header("etag", etag);
        response.set_header("cache-control", cache_control);
        return response;
    }
    // 304 keeps the headers a cache needs (validators, policies, Vary), not the content ones;
    // page views count it by what it stands for (see `audience`).
    #[cfg(feature = "page-views")]
    if response
        .header("content-type")
        .and_then(|value| value.as_str())
        .is_some_and(|value| value.starts_with("text/html"))
    {
        crate::audience::note_not_modified_html();
    }
    let mut not_modified = Response::builder();
    not_modified.status(304);
    for (name, value) in response.headers() {
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "content-type" | "content-length") {
            not_modified.header(name, value.as_str().unwrap_or_default());
        }
    }
    not_modified
        .header("etag", etag)
        .header("cache-control", cache_control)
        .build()
}

/// `303 See Other`: after a form post, the browser fetches `location` with GET.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(303)
        .header("location", location)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use spin_sdk::http::Method;

    fn get(if_none_match: Option<&str>) -> Request {
        let mut builder = Request::builder();
        builder.method(Method::Get).uri("/events");
        if let Some(value) = if_none_match {
            builder.header("if-none-match", value);
        }
        builder.build()
    }

    fn header(response: &Response, name: &str) -> Option<String> {
        response
            .header(name)
            .and_then(|value| value.as_str())
            .map(str::to_owned)
    }

    #[test]
    fn a_known_version_is_answered_with_304_and_no_body() {
        let page = || html(200, "<p>Rendez-vous</p>".to_owned());
        let first = conditional(&get(None), page(), "public, max-age=60");
        assert_eq!(*first.status(), 200);
        let tag = header(&first, "etag").unwrap();
        assert_eq!(
            header(&first, "cache-control").unwrap(),
            "public, max-age=60"
        );

        let again = conditional(&get(Some(&tag)), page(), "public, max-age=60");
        assert_eq!(*again.status(), 304);
        assert!(again.body().is_empty());
        assert_eq!(header(&again, "etag").unwrap(), tag);
        assert_eq!(header(&again, "vary").unwrap(), "accept-language, cookie");
        assert!(header(&again, "content-type").is_none());

        let weak = conditional(&get(Some(&format!("W/{tag}"))), page(), "no-cache");
        assert_eq!(*weak.status(), 304);
        let changed = html(200, "<p>Autre</p>".to_owned());
        assert_eq!(
            *conditional(&get(Some(&tag)), changed, "no-cache").status(),
            200
        );
        let missing = html(404, "<p>Introuvable</p>".to_owned());
        let missing = conditional(&get(Some("*")), missing, "no-cache");
        assert_eq!(*missing.status(), 404);
        assert!(header(&missing, "etag").is_none());
    }

    #[test]
    fn hsts_only_for_an_https_public_address() {
        assert_eq!(hsts(true), Some("max-age=31536000"));
        assert_eq!(hsts(false), None);
        let https = crate::cookies::https_base(Some("https://culture.example.fr"));
        assert_eq!(hsts(https), Some("max-age=31536000"));
        let http = crate::cookies::https_base(Some("http://localhost:3000"));
        assert_eq!(hsts(http), None);
    }

    #[test]
    fn a_second_cookie_is_a_second_field() {
        let mut response = json(200, &());
        response.set_header("set-cookie", "a=1");
        add_second_cookie(&mut response, "b=2".to_owned());
        let mut cookies: Vec<&str> = response
            .headers()
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, value)| value.as_str())
            .collect();
        cookies.sort_unstable();
        assert_eq!(cookies, ["a=1", "b=2"]);
    }

    #[test]
    fn validators_compare_weakly() {
        let tag = etag(b"body { color: black }");
        assert_ne!(tag, etag(b"body { color: white }"));
        assert!(etag_matches(&tag, &tag));
        assert!(etag_matches(&format!("\"other\", W/{tag}"), &tag));
        assert!(etag_matches("*", &tag));
        assert!(!etag_matches("\"other\"", &tag));
    }

    #[test]
    fn frames_are_allowed_only_from_the_given_https_origins() {
        let origins = vec![
            "https://www.youtube-nocookie.com".to_owned(),
            "https://evil.example; script-src *".to_owned(),
            "http://plain.example".to_owned(),
        ];
        let page = html_with_frames(200, String::new(), &origins);
        let csp = header(&page, "content-security-policy").unwrap();
        assert!(
            csp.ends_with("; frame-src https://www.youtube-nocookie.com"),
            "{csp}"
        );
        let none = html_with_frames(200, String::new(), &[]);
        assert_eq!(header(&none, "content-security-policy").unwrap(), PAGE_CSP);
    }
}
