//! Response builders with the headers every answer of a kind needs.

use serde::Serialize;
use spin_sdk::http::Response;

/// The content security policy of every HTML page: our own stylesheet and images, no
/// scripts (JSON-LD is data, not executed), forms only to ourselves, no framing.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of pages meant to be shown in other sites' iframes (a poll's widget): the
/// same as [`PAGE_CSP`] except that any site may frame it.
pub const EMBED_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     form-action 'self'; base-uri 'none'; frame-ancestors *";

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
                .header("content-type", "application/json")
                .body(r#"{"error":{"code":"internal_error","message":"internal error"}}"#)
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

/// `303 See Other`: after a form post, the browser fetches `location` with GET.
pub fn see_other(location: &str) -> Response {
    Response::builder()
        .status(303)
        .header("location", location)
        .build()
}
