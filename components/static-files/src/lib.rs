//! The `static-files` component: serves the read-only `static/` folder that the manifest
//! mounts at `/` in the guest (`files = [{ source = "static", destination = "/" }]`).
//!
//! - `/static/<path>` -> file `/<path>`, cached for an hour by browsers and proxies;
//! - `/admin`, `/admin/` -> `/admin/index.html`, `/admin/<path>` -> `/admin/<path>`, the staff
//!   console, revalidated on every load (`no-cache`) so a deploy shows at once; the console's
//!   page itself redirects to the sign-in page without a staff session.
//!
//! - `/api/openapi.json`: the OpenAPI 3.1 description of every JSON API (`openapi.yaml`,
//!   turned into JSON by `build.rs`).
//!
//! GET and HEAD only; `ETag` / `If-None-Match` answer 304. Paths are percent-decoded once and
//! every segment checked, so `..`, `%2e%2e`, backslashes, NUL and hidden files are a 404.
//! Routing is by hand: two prefixes do not need a router.

use kiosque_spin::response::{etag, etag_matches};
use kiosque_spin::serve::{method_not_allowed, not_found};
use spin_sdk::http::{IncomingRequest, IntoResponse, Method, Request, Response, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve_fn(req, out, serve_file).await
}

/// The console's page, which only signed-in staff get.
const CONSOLE_SHELL: &str = "/admin/index.html";

/// Where a URL path lives in the mounted folder and how long it may be cached.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    file: String,
    cache_control: &'static str,
}

/// Where the OpenAPI description of every JSON API is served.
const OPENAPI_PATH: &str = "/api/openapi.json";

/// `openapi.yaml` as gzipped JSON, made by `build.rs` when the component is built.
const OPENAPI_JSON_GZ: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/openapi.json.gz"));

/// The fixed gzip header and the CRC-32 and length trailer `build.rs` writes around the
/// deflate stream.
const GZIP_HEADER_BYTES: usize = 10;
const GZIP_TRAILER_BYTES: usize = 8;

fn serve_file(req: Request) -> Response {
    let path = req.path();
    if path == OPENAPI_PATH {
        return serve_openapi(&req);
    }
    let Some(target) = resolve(path) else {
        return not_found(path);
    };
    if !matches!(req.method(), Method::Get | Method::Head) {
        return method_not_allowed(path, "GET, HEAD");
    }
    // The console's shell needs a signed-in staff member: anyone else is sent to the
    // sign-in page first (its scripts and styles stay public, they hold no data).
    if target.file == CONSOLE_SHELL && !kiosque_spin::auth::is_staff(&req) {
        return kiosque_spin::response::see_other("/admin/sign-in.html?next=/admin/");
    }
    // Directories and missing files are both "not here" to the visitor.
    let bytes = match std::fs::metadata(&target.file) {
        Ok(meta) if meta.is_file() => match std::fs::read(&target.file) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("failed to read {}: {e}", target.file);
                return not_found(path);
            }
        },
        _ => return not_found(path),
    };
    answer(
        &req,
        bytes,
        content_type(&target.file),
        target.cache_control,
    )
}

/// `/api/openapi.json`: the stored gzip to clients that accept it, inflated for the others.
fn serve_openapi(req: &Request) -> Response {
    if !matches!(req.method(), Method::Get | Method::Head) {
        return method_not_allowed(OPENAPI_PATH, "GET, HEAD");
    }
    let gzip = accepts_gzip(req.header("accept-encoding").and_then(|v| v.as_str()));
    let bytes = if gzip {
        OPENAPI_JSON_GZ.to_vec()
    } else {
        let deflate =
            &OPENAPI_JSON_GZ[GZIP_HEADER_BYTES..OPENAPI_JSON_GZ.len() - GZIP_TRAILER_BYTES];
        match miniz_oxide::inflate::decompress_to_vec(deflate) {
            Ok(json) => json,
            Err(e) => {
                return kiosque_spin::ApiError::internal(format!("openapi.json: {e:?}"))
                    .into_response();
            }
        }
    };
    let mut response = answer(req, bytes, "application/json", "no-cache");
    if gzip {
        response.set_header("content-encoding", "gzip");
    }
    response.set_header("vary", "accept-encoding");
    // A public description: API tools running on other origins may read it.
    response.set_header("access-control-allow-origin", "*");
    response
}

/// Whether an `Accept-Encoding` value admits gzip (`gzip` or `*` without `q=0`). No header
/// gets the plain JSON: clients that send none (scripts) rarely decode gzip.
fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|value| {
        value.split(',').any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
    })
}

/// The 200 (or 304 when the client's copy is current) for `bytes`.
fn answer(req: &Request, bytes: Vec<u8>, content_type: &str, cache_control: &str) -> Response {
    let etag = etag(&bytes);
    let if_none_match = req.header("if-none-match").and_then(|v| v.as_str());
    let fresh = if_none_match.is_some_and(|header| etag_matches(header, &etag));

    let mut builder = Response::builder();
    builder
        .status(if fresh { 304 } else { 200 })
        .header("etag", etag.as_str())
        .header("cache-control", cache_control)
        .header("x-content-type-options", "nosniff");
    if !fresh {
        builder.header("content-type", content_type);
    }
    if content_type.starts_with("text/html") {
        // The staff console may load its own scripts and styles, nothing from elsewhere.
        builder
            .header(
                "content-security-policy",
                "default-src 'self'; base-uri 'none'; frame-ancestors 'none'",
            )
            .header("referrer-policy", "strict-origin-when-cross-origin");
    }
    if !fresh {
        builder.body(bytes);
    }
    builder.build()
}

fn resolve(path: &str) -> Option<Target> {
    if path == "/admin" || path == "/admin/" {
        return Some(Target {
            file: "/admin/index.html".to_owned(),
            cache_control: "no-cache",
        });
    }
    if let Some(rest) = path.strip_prefix("/static/") {
        return Some(Target {
            file: format!("/{}", safe_relative_path(rest)?),
            cache_control: "public, max-age=3600",
        });
    }
    if let Some(rest) = path.strip_prefix("/admin/") {
        return Some(Target {
            file: format!("/admin/{}", safe_relative_path(rest)?),
            cache_control: "no-cache",
        });
    }
    None
}

/// Decodes the URL path once and accepts it only if every segment is a plain name: not
/// empty, not `.` or `..`, not hidden, without backslash or control characters. Decoding
/// before checking is what catches `%2e%2e` and `%2f`.
fn safe_relative_path(raw: &str) -> Option<String> {
    let decoded = kiosque_spin::form::percent_decode_path(raw);
    let decoded = String::from_utf8(decoded).ok()?;
    let safe = decoded.split('/').all(|segment| {
        !segment.is_empty()
            && !segment.starts_with('.')
            && !segment.chars().any(|c| c == '\\' || c.is_control())
    });
    safe.then_some(decoded)
}

fn content_type(file: &str) -> &'static str {
    let extension = file
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_description_inflates_to_the_whole_document() {
        let deflate =
            &OPENAPI_JSON_GZ[GZIP_HEADER_BYTES..OPENAPI_JSON_GZ.len() - GZIP_TRAILER_BYTES];
        let json = miniz_oxide::inflate::decompress_to_vec(deflate).unwrap();
        let trailer = &OPENAPI_JSON_GZ[OPENAPI_JSON_GZ.len() - 4..];
        let length = u32::from_le_bytes(trailer.try_into().unwrap());
        assert_eq!(json.len(), length as usize);
        let text = String::from_utf8(json).unwrap();
        assert!(text.contains("\"openapi\":\"3.1.0\""));
        assert!(OPENAPI_JSON_GZ.len() * 4 < text.len(), "stored compressed");
    }

    #[test]
    fn gzip_goes_to_clients_that_accept_it() {
        assert!(accepts_gzip(Some("gzip, deflate, br")));
        assert!(accepts_gzip(Some("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("gzip;q=0, br")));
        assert!(!accepts_gzip(Some("gzip; q=0.0")));
    }

    fn file(path: &str) -> Option<String> {
        resolve(path).map(|t| t.file)
    }

    #[test]
    fn maps_urls_to_mounted_files() {
        assert_eq!(
            file("/static/css/kiosque.css").as_deref(),
            Some("/css/kiosque.css")
        );
        assert_eq!(
            file("/static/img/a%20b.png").as_deref(),
            Some("/img/a b.png")
        );
        assert_eq!(file("/admin").as_deref(), Some("/admin/index.html"));
        assert_eq!(file("/admin/").as_deref(), Some("/admin/index.html"));
        assert_eq!(file("/admin/app.js").as_deref(), Some("/admin/app.js"));
        assert_eq!(
            resolve("/static/x.css").unwrap().cache_control,
            "public, max-age=3600"
        );
        assert_eq!(resolve("/admin/app.js").unwrap().cache_control, "no-cache");
        assert_eq!(file("/elsewhere/x.css"), None);
        assert_eq!(file("/administration"), None);
    }

    #[test]
    fn rejects_traversal_and_odd_names() {
        for path in [
            "/static/../etc/passwd",
            "/static/css/../../secret",
            "/static/%2e%2e/secret",
            "/static/%2E%2E%2Fsecret",
            "/static/css%2f..%2f..%2fsecret",
            "/static/..%5csecret",
            "/static/css\\kiosque.css",
            "/static/a%00.css",
            "/static/.env",
            "/static/css//kiosque.css",
            "/static/css/",
            "/static/",
            "/static/%ff.css",
            "/admin/../static/x",
        ] {
            assert_eq!(file(path), None, "{path}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("/css/kiosque.css"), "text/css; charset=utf-8");
        assert_eq!(
            content_type("/admin/app.MJS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("/favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("/README"), "application/octet-stream");
    }
}
