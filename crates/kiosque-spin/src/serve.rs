//! The components' entry point: read the request (with a body cap), route it, replace the
//! router's bare answers with friendly ones, and send the answer.

use futures::StreamExt;
use spin_sdk::http::{
    IncomingRequest, IntoResponse, Method, OutgoingBody, OutgoingResponse, Request, Response,
    ResponseOutparam,
};

use crate::error::{ApiError, PageError};
use crate::routes::Routes;

/// The largest request body any component reads: forms and JSON are small, and reading stops
/// there instead of buffering whatever a client sends into the guest's memory.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The largest body of a platform webhook (`/webhooks/...`): Meta batches entries, so the
/// platforms get more room than forms, still bounded (`kiosque_domain::inbound`).
pub const WEBHOOK_MAX_BODY_BYTES: usize = kiosque_domain::inbound::MAX_BODY_BYTES;

/// The largest body of one part of a media upload (`/api/media/uploads/{id}/parts/{n}`):
/// files of up to 20 MB come in parts of this size (`kiosque_domain::media::upload`).
pub const UPLOAD_PART_MAX_BODY_BYTES: usize = kiosque_domain::media::upload::PART_BYTES as usize;

/// The largest body of a patron's contest entry with its image
/// (`/media/contest-entries/{contest}`, a `multipart/form-data` form): an image of up to
/// 10,000,000 bytes and the form's text fields. About 10.5 MiB.
pub const CONTEST_ENTRY_MAX_BODY_BYTES: usize = 11_000_000;

/// The body cap of a request to `path`: [`WEBHOOK_MAX_BODY_BYTES`] under `/webhooks/`,
/// [`UPLOAD_PART_MAX_BODY_BYTES`] for a part of a media upload,
/// [`CONTEST_ENTRY_MAX_BODY_BYTES`] for a contest entry's form with its image,
/// [`MAX_BODY_BYTES`] everywhere else. Decided here, before the body is read, so every component applies the
/// same caps.
pub fn body_limit(path: &str) -> usize {
    let is_webhook = path
        .strip_prefix("/webhooks")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if is_webhook {
        WEBHOOK_MAX_BODY_BYTES
    } else if is_upload_part(path) {
        UPLOAD_PART_MAX_BODY_BYTES
    } else if is_contest_entry(path) {
        CONTEST_ENTRY_MAX_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// `/media/contest-entries/{contest}`, exactly.
fn is_contest_entry(path: &str) -> bool {
    path.strip_prefix("/media/contest-entries/")
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// `/api/media/uploads/{id}/parts/{n}`, exactly.
fn is_upload_part(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/media/uploads/") else {
        return false;
    };
    let mut segments = rest.split('/');
    let (id, parts, n) = (segments.next(), segments.next(), segments.next());
    segments.next().is_none()
        && parts == Some("parts")
        && id.is_some_and(|id| !id.is_empty())
        && n.is_some_and(|n| !n.is_empty())
}

/// Reads `incoming`, answers it with `routes` (see [`respond`]) and sends the answer.
pub async fn serve(routes: &Routes, incoming: IncomingRequest, out: ResponseOutparam) {
    serve_fn(incoming, out, |req| respond(routes, req)).await
}

/// Reads `incoming`, answers it with `handler` (for components that route by hand) and
/// sends the answer (see [`send`]).
pub async fn serve_fn(
    incoming: IncomingRequest,
    out: ResponseOutparam,
    handler: impl FnOnce(Request) -> Response,
) {
    send(answer(incoming, handler).await, out);
}

/// The answer to `incoming`. The body of a `HEAD` answer is dropped here, a staff change
/// written to the audit log and a page view counted, once for all handlers.
async fn answer(incoming: IncomingRequest, handler: impl FnOnce(Request) -> Response) -> Response {
    let request = match read_request(incoming).await {
        Ok(request) => request,
        Err(mut response) => {
            crate::response::add_hsts(&mut response);
            return response;
        }
    };
    let is_head = *request.method() == Method::Head;
    let method = request.method().clone();
    let path = request.path().to_owned();
    crate::auth::forget_actor();
    #[cfg(feature = "page-views")]
    let seen = crate::audience::Seen::of(&request);
    let mut response = handler(request);
    // Once, here, for every handler: the audit entry of a staff change (see `auth`).
    crate::auth::audit_request(&method, &path, *response.status());
    // And the page view, when it is one (see `audience`): the answer is left as it is.
    #[cfg(feature = "page-views")]
    crate::audience::count(&seen, &response);
    if is_head {
        response.body_mut().clear();
    }
    // Every answer, whatever the handler, once the public address is https.
    crate::response::add_hsts(&mut response);
    set_content_length(&mut response, is_head);
    response
}

/// States the body's length, which every answer here knows before it is sent. Without it the
/// host frames the body in chunks and writes the headers, the body and the last chunk as they
/// come: a small last write then waits for the client's acknowledgement of the one before
/// (Nagle's algorithm, which neither Spin nor the dev host turns off, against the client's
/// delayed ACK), up to 40 ms on Linux. With the length there is no last chunk to wait for.
/// Not on `HEAD` answers (their emptied body is not the length of the `GET`'s; the host
/// would refuse a body shorter than the stated length), nor on 204 and 304, which have none.
fn set_content_length(response: &mut Response, is_head: bool) {
    if is_head
        || matches!(*response.status(), 204 | 304)
        || response.header("content-length").is_some()
    {
        return;
    }
    let length = response.body().len().to_string();
    response.set_header("content-length", length);
}

/// Sends `response`, its body written *before* the headers are handed over, so the host finds
/// the whole answer ready and writes it in one go. spin-sdk's own way (headers first, then
/// the body) lets the host write the headers alone; the body then waits behind Nagle's
/// algorithm for the client's delayed ACK, up to 40 ms on Linux, on a fraction of requests
/// (measured with `cargo xtask bench`: p99 about 45 ms on pages that take 1-3 ms). A body
/// larger than the host accepts before the answer is sent (1 MiB on Wasmtime) is finished
/// after it.
fn send(mut response: Response, out: ResponseOutparam) {
    let body = std::mem::take(response.body_mut());
    let outgoing = match OutgoingResponse::try_from(response) {
        Ok(outgoing) => outgoing,
        Err(e) => {
            eprintln!("cannot send the answer: {e}");
            return;
        }
    };
    let Ok(outgoing_body) = outgoing.body() else {
        eprintln!("cannot send the answer: its body was already taken");
        return;
    };
    let Ok(stream) = outgoing_body.write() else {
        eprintln!("cannot send the answer: its body cannot be written");
        return;
    };
    let ahead = match stream.check_write() {
        Ok(permit) => usize::try_from(permit)
            .unwrap_or(usize::MAX)
            .min(body.len()),
        Err(_) => 0,
    };
    let ahead = if ahead > 0 && stream.write(&body[..ahead]).is_ok() {
        ahead
    } else {
        0
    };
    out.set(outgoing);
    // The rest, if any, now that the host reads the body: in the stream's 4 KiB steps.
    for chunk in body[ahead..].chunks(4096) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            // The client went away: nothing left to tell it. (No details: the derived `Debug`
            // of wasi's error types weighs kilobytes in each component.)
            eprintln!("the answer's body was cut short: the connection closed");
            return;
        }
    }
    if ahead > 0 && stream.blocking_flush().is_err() {
        return;
    }
    drop(stream);
    if OutgoingBody::finish(outgoing_body, None).is_err() {
        eprintln!("cannot finish the answer's body (the host refused its end)");
    }
}

/// Routes `req` through `routes`, then turns the router's empty-bodied 404 and 405 into a
/// problem (JSON) under `/api/` and `/webhooks/`, or an HTML page elsewhere; a 405 says in
/// `Allow` which methods the path accepts.
pub fn respond(routes: &Routes, req: Request) -> Response {
    let path = req.path().to_owned();
    let response = routes.handle(req);
    // Our handlers always set a content type; the router's fallbacks never do.
    let from_router = response.header("content-type").is_none();
    match *response.status() {
        404 if from_router => not_found(&path),
        405 if from_router => match routes.allowed(&path) {
            Some(allow) => method_not_allowed(&path, &allow),
            // The router found a route this table does not know: say nothing wrong.
            None => not_found(&path),
        },
        _ => response,
    }
}

/// Whether `path` belongs to a machine-facing URL space, answered in JSON.
pub fn is_api_path(path: &str) -> bool {
    ["/api", "/webhooks"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The friendly 404 for `path`: JSON `not_found` or the "Page introuvable" page.
pub fn not_found(path: &str) -> Response {
    if is_api_path(path) {
        ApiError::not_found().into_response()
    } else {
        PageError::not_found().into_response()
    }
}

/// The friendly 405 for `path`, which accepts the methods in `allow` (`"GET, HEAD"`).
pub fn method_not_allowed(path: &str, allow: &str) -> Response {
    if is_api_path(path) {
        // The problem sets `Allow` itself.
        return ApiError::method_not_allowed(allow).into_response();
    }
    let mut response = PageError::method_not_allowed().into_response();
    response.set_header("allow", allow);
    response
}

fn error_for(path: &str, error: ApiError, page: PageError) -> Response {
    if is_api_path(path) {
        error.into_response()
    } else {
        page.into_response()
    }
}

/// Builds a [`Request`] from the host's request, reading at most [`body_limit`] bytes.
async fn read_request(incoming: IncomingRequest) -> Result<Request, Response> {
    let method = incoming.method();
    let uri = incoming.uri();
    let headers = incoming.headers();
    let path = uri_path(&uri);
    let limit = body_limit(&path);

    let too_large = || {
        error_for(
            &path,
            ApiError::payload_too_large(limit),
            PageError::new(
                413,
                "payload_too_large",
                [
                    "Envoi trop volumineux",
                    "Les données envoyées sont trop grandes.",
                ],
                ["Request too large", "The data sent is too large."],
            ),
        )
    };
    let declared = headers
        .get("content-length")
        .first()
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }

    let mut body = Vec::new();
    let mut stream = incoming.into_body_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Err(e) => {
                eprintln!("failed to read a request body: {}", e.to_debug_string());
                return Err(error_for(
                    &path,
                    ApiError::new(400, "unreadable_body", "the request body could not be read"),
                    PageError::new(
                        400,
                        "unreadable_body",
                        [
                            "Demande incomplète",
                            "Les données envoyées n’ont pas pu être lues.",
                        ],
                        ["Incomplete request", "The data sent could not be read."],
                    ),
                ));
            }
        }
    }

    Ok(Request::builder()
        .method(method)
        .uri(uri)
        .headers(join_cookie_headers(headers.entries()))
        .body(body)
        .build())
}

/// Folds every `cookie` field into one, joined with "; " as RFC 6265 writes them. HTTP/2 and
/// HTTP/3 clients may send each cookie in its own field, and spin-sdk's `Request` keeps one
/// value per header name (the last), so without this the voter cookie could silently vanish.
fn join_cookie_headers(entries: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let (cookies, mut others): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|(name, _)| name.eq_ignore_ascii_case("cookie"));
    let values: Vec<Vec<u8>> = cookies
        .into_iter()
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
        .collect();
    if !values.is_empty() {
        others.push(("cookie".to_owned(), values.join(&b"; "[..])));
    }
    others
}

/// The path of a request URI, absolute (`https://host/p?q`) or origin-form (`/p?q`), as the
/// `http` crate (spin-sdk's own request URI type) reads it.
fn uri_path(uri: &str) -> String {
    uri.parse::<http::Uri>()
        .map_or_else(|_| "/".to_owned(), |uri| uri.path().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_and_webhook_paths_answer_in_json() {
        for path in ["/api", "/api/polls/x", "/webhooks/mastodon", "/webhooks"] {
            assert!(is_api_path(path), "{path}");
        }
        for path in ["/", "/apiary", "/polls/x", "/webhooksx", "/static/api/x"] {
            assert!(!is_api_path(path), "{path}");
        }
    }

    #[test]
    fn webhooks_get_their_own_body_cap() {
        assert_eq!(body_limit("/webhooks/meta"), 256 * 1024);
        assert_eq!(body_limit("/webhooks"), WEBHOOK_MAX_BODY_BYTES);
        for path in ["/api/polls", "/webhooksx", "/polls/webhooks/x", "/"] {
            assert_eq!(body_limit(path), MAX_BODY_BYTES, "{path}");
        }
    }

    #[test]
    fn only_upload_parts_get_the_upload_cap() {
        assert_eq!(body_limit("/api/media/uploads/abc/parts/3"), 512 * 1024);
        for path in [
            "/api/media/uploads/abc/complete",
            "/api/media/uploads",
            "/api/media/uploads//parts/1",
            "/api/media/uploads/abc/parts/1/x",
            "/api/media/abc",
        ] {
            assert_eq!(body_limit(path), MAX_BODY_BYTES, "{path}");
        }
    }

    #[test]
    fn only_contest_entries_get_the_image_form_cap() {
        assert_eq!(body_limit("/media/contest-entries/c1"), 11_000_000);
        for path in [
            "/media/contest-entries/",
            "/media/contest-entries/c1/x",
            "/media/c1/page.jpg",
            "/contests/c1/enter",
        ] {
            assert_eq!(body_limit(path), MAX_BODY_BYTES, "{path}");
        }
    }

    #[test]
    fn split_cookie_fields_are_joined_into_one() {
        let field = |name: &str, value: &str| (name.to_owned(), value.as_bytes().to_vec());
        let joined = join_cookie_headers(vec![
            field("cookie", "theme=dark"),
            field("accept", "text/html"),
            field("Cookie", "kiosque_voter=abc"),
            field("cookie", ""),
        ]);
        assert_eq!(
            joined,
            vec![
                field("accept", "text/html"),
                field("cookie", "theme=dark; kiosque_voter=abc"),
            ]
        );
        assert_eq!(
            join_cookie_headers(vec![field("accept", "*/*")]),
            vec![field("accept", "*/*")]
        );
    }

    #[test]
    fn extracts_paths_from_request_uris() {
        assert_eq!(uri_path("https://bib.example/api/polls?x=1"), "/api/polls");
        assert_eq!(uri_path("http://localhost:3000"), "/");
        assert_eq!(uri_path("/polls/a#frag"), "/polls/a");
        assert_eq!(uri_path("/tutoriels/caf%C3%A9?q=1"), "/tutoriels/caf%C3%A9");
    }

    #[test]
    fn answers_state_their_length_except_head_and_bodiless_statuses() {
        let length = |status: u16, body: &str, is_head: bool| {
            let mut response = Response::new(status, body.to_owned());
            set_content_length(&mut response, is_head);
            response
                .header("content-length")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        assert_eq!(
            length(200, "<p>Médiathèque</p>", false).as_deref(),
            Some("20")
        );
        assert_eq!(length(404, "", false).as_deref(), Some("0"));
        assert_eq!(length(200, "", true), None);
        assert_eq!(length(204, "", false), None);
        assert_eq!(length(304, "", false), None);
    }
}
