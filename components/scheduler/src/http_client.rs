//! Outbound HTTP for the domain's `HttpClient`, over `wasi:http/outgoing-handler` as spin-sdk
//! 5.2 exposes it. spin-sdk's own `send` passes no request options, so it cannot time out; a
//! platform that never answers would hold the tick until the host kills it. Here every request
//! carries connect, first-byte and between-bytes timeouts (`platform_timeout_secs`, 10 by
//! default), which the host enforces, and answers are read up to [`MAX_RESPONSE_BYTES`].
//!
//! Those phase timeouts do not bound a call: a server that drips its answer a byte at a time
//! never stays silent long enough. So each call also has a total deadline, three phases and
//! at most [`MAX_TOTAL_SECS`] from its start, which we enforce ourselves: every wait (sending
//! the body, the answer's head, each read of its body) polls the stream together with a
//! monotonic-clock timer, and the call fails with a timeout when the timer fires first. With
//! the tick's own time budget (`posts::tick::TIME_BUDGET_SECS`), a tick ends well inside its
//! claims' lease.
//!
//! One request at a time, waited for with `wasi:io/poll`: nothing else in this instance
//! waits meanwhile.
//!
//! Which hosts answer at all is decided by `allowed_outbound_hosts` (see `spin.toml`); a
//! refused host fails with `HttpRequestDenied`, reported as a network failure.

use kiosque_domain::channels::link_card;
use kiosque_domain::social::{
    HttpClient, HttpFailure, HttpRequest, HttpResponse, LinkPreviewOrigins,
};
use kiosque_domain::web::Url;
use kiosque_spin::config;
use spin_sdk::http::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, Scheme};
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::RequestOptions;
use wasi::clocks::monotonic_clock::{self, Instant};
use wasi::io::poll::{self, Pollable};
use wasi::io::streams::StreamError;

/// The largest answer we read: images for Mastodon are at most 16 MiB.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// The longest a call may take, whatever the server does: well inside the tick's lease.
pub const MAX_TOTAL_SECS: u64 = 30;
const CHUNK: usize = 4096;

/// The spin-sdk client, with the timeout read from `platform_timeout_secs`.
#[derive(Debug, Clone, Copy)]
pub struct SpinHttp {
    timeout_ns: u64,
    /// The whole call: three phases, at most [`MAX_TOTAL_SECS`].
    total_ns: u64,
}

impl SpinHttp {
    pub fn from_config() -> Self {
        let secs = config::variable("platform_timeout_secs")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| (1..=120).contains(s))
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        SpinHttp {
            timeout_ns: secs * 1_000_000_000,
            total_ns: (3 * secs).min(MAX_TOTAL_SECS) * 1_000_000_000,
        }
    }
}

impl HttpClient for SpinHttp {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpFailure> {
        let deadline = monotonic_clock::now().saturating_add(self.total_ns);
        send_blocking(&request, self.timeout_ns, deadline, None)
    }

    /// Stops reading after `cap + 1` bytes: a link card reads the head of a page, whatever
    /// its length, with the same timeouts.
    async fn send_capped(
        &self,
        request: HttpRequest,
        cap: usize,
    ) -> Result<HttpResponse, HttpFailure> {
        let deadline = monotonic_clock::now().saturating_add(self.total_ns);
        send_blocking(&request, self.timeout_ns, deadline, Some(cap))
    }

    /// The app's own pages (`public_base_url`, read by Spin self requests, which the manifest
    /// allows with `http://self` and `https://self`) and the outside origin of
    /// `link_preview_host`, which `allowed_outbound_hosts` lists too.
    fn link_preview_origins(&self) -> LinkPreviewOrigins {
        link_card::origins(
            config::public_base_url().as_deref(),
            config::variable("link_preview_host").as_deref(),
        )
    }
}

/// Writes the request body within the deadline. A closed stream ends the sending quietly: the
/// host closes it when it refused the request (a host outside `allowed_outbound_hosts`), when
/// the connection failed, or once it has taken `Content-Length` bytes; the answer, awaited
/// next, says which.
fn write_body(
    stream: &wasi::io::streams::OutputStream,
    body: &[u8],
    deadline: Instant,
) -> Result<(), HttpFailure> {
    if body.is_empty() {
        return Ok(());
    }
    let sending = |e: StreamError| match e {
        StreamError::Closed => None,
        e => Some(HttpFailure::Network(format!("sending the body: {e:?}"))),
    };
    let mut rest = body;
    let mut step = || -> Result<(), StreamError> {
        while !rest.is_empty() {
            wait(&stream.subscribe(), deadline).map_err(|_| StreamError::Closed)?;
            let room = usize::try_from(stream.check_write()?).unwrap_or(CHUNK);
            let n = room.min(CHUNK).min(rest.len());
            if n > 0 {
                stream.write(&rest[..n])?;
                rest = &rest[n..];
            }
        }
        stream.flush()?;
        // A flush is done when the stream accepts writes again.
        wait(&stream.subscribe(), deadline).map_err(|_| StreamError::Closed)?;
        stream.check_write().map(|_| ())
    };
    match step() {
        Ok(()) => Ok(()),
        Err(e) => match sending(e) {
            None if monotonic_clock::now() >= deadline => Err(HttpFailure::Timeout),
            None => Ok(()),
            Some(failure) => Err(failure),
        },
    }
}

/// Waits until `ready` is, or fails with a timeout once the monotonic clock reaches
/// `deadline`.
fn wait(ready: &Pollable, deadline: Instant) -> Result<(), HttpFailure> {
    if monotonic_clock::now() >= deadline {
        return Err(HttpFailure::Timeout);
    }
    let timer = monotonic_clock::subscribe_instant(deadline);
    if poll::poll(&[ready, &timer]).contains(&0) {
        Ok(())
    } else {
        Err(HttpFailure::Timeout)
    }
}

fn network(what: &str) -> HttpFailure {
    HttpFailure::Network(what.to_owned())
}

fn from_error_code(code: ErrorCode, authority: &str) -> HttpFailure {
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => HttpFailure::Timeout,
        ErrorCode::HttpRequestDenied => HttpFailure::Denied(authority.to_owned()),
        other => HttpFailure::Network(format!("{other:?}")),
    }
}

/// `(scheme, authority, path and query)` of an absolute http(s) URL, read by the `url` crate
/// (the authority is `host[:port]`, the port only when not the scheme's default).
fn split_url(url: &str) -> Result<(Scheme, String, String), HttpFailure> {
    let url = Url::parse(url).map_err(|e| network(&format!("not a URL: {e}")))?;
    let scheme = match url.scheme() {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err(network("only http(s) URLs are sent")),
    };
    let host = url
        .host_str()
        .filter(|host| !host.is_empty())
        .ok_or_else(|| network("the URL has no host"))?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    Ok((scheme, authority, path_and_query))
}

/// Sends `request`; with `cap`, reads at most `cap + 1` bytes of the answer and drops the
/// rest unread (the stream is closed with the response).
fn send_blocking(
    request: &HttpRequest,
    timeout_ns: u64,
    deadline: Instant,
    cap: Option<usize>,
) -> Result<HttpResponse, HttpFailure> {
    let (scheme, authority, path) = split_url(&request.url)?;
    let headers = Fields::new();
    for (name, value) in &request.headers {
        headers
            .append(&name.to_ascii_lowercase(), value.as_bytes())
            .map_err(|e| HttpFailure::Network(format!("header {name}: {e:?}")))?;
    }
    if !request.body.is_empty() || request.method != "GET" {
        // A known length: servers need not accept chunked uploads.
        headers
            .append("content-length", request.body.len().to_string().as_bytes())
            .map_err(|e| HttpFailure::Network(format!("content-length: {e:?}")))?;
    }
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method.as_str() {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_owned()),
    };
    let set = |ok: Result<(), ()>, what: &str| ok.map_err(|()| network(what));
    set(outgoing.set_method(&method), "method")?;
    set(outgoing.set_scheme(Some(&scheme)), "scheme")?;
    set(outgoing.set_authority(Some(&authority)), "authority")?;
    set(outgoing.set_path_with_query(Some(&path)), "path")?;
    let body = outgoing.body().map_err(|()| network("request body"))?;

    let options = RequestOptions::new();
    set(options.set_connect_timeout(Some(timeout_ns)), "timeout")?;
    set(options.set_first_byte_timeout(Some(timeout_ns)), "timeout")?;
    set(
        options.set_between_bytes_timeout(Some(timeout_ns)),
        "timeout",
    )?;

    let pending = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|e| from_error_code(e, &authority))?;
    {
        let stream = body.write().map_err(|()| network("request body stream"))?;
        write_body(&stream, &request.body, deadline)?;
    }
    OutgoingBody::finish(body, None).map_err(|e| from_error_code(e, &authority))?;

    let response = loop {
        match pending.get() {
            Some(result) => break result,
            None => wait(&pending.subscribe(), deadline)?,
        }
    };
    let response = response
        .map_err(|()| network("response already taken"))?
        .map_err(|e| from_error_code(e, &authority))?;
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .filter_map(|(name, value)| Some((name, String::from_utf8(value).ok()?)))
        .collect();
    let incoming = response.consume().map_err(|()| network("response body"))?;
    let stream = incoming
        .stream()
        .map_err(|()| network("response body stream"))?;
    let mut body = Vec::new();
    let wanted = cap.map_or(usize::MAX, |cap| cap.saturating_add(1));
    while body.len() < wanted {
        wait(&stream.subscribe(), deadline)?;
        let room = u64::try_from((wanted - body.len()).min(64 * 1024)).unwrap_or(64 * 1024);
        match stream.read(room) {
            Ok(chunk) => {
                if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                    return Err(network("the answer is too large"));
                }
                body.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => break,
            Err(e) => return Err(HttpFailure::Network(format!("reading the answer: {e:?}"))),
        }
    }
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}
