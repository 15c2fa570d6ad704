//! The `wasi:http` hooks of a request: outgoing requests go through only to
//! the component's `allowed_outbound_hosts`.
//!
//! Self requests, as Spin makes them (spin `crates/factor-outbound-http/src/wasi.rs`, Spin
//! 3.2 and later): a request whose authority is `self.alt`, or that has none, goes to the
//! application itself, here this host's own listener, when the component allows `http://self`
//! or `https://self`; otherwise it is denied. Its target never comes from anything the client
//! sent (Spin's fix for CVE-2024-32980).

use std::net::SocketAddr;
use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::outbound::OutboundPolicy;

pub struct OutboundHooks {
    pub component: String,
    pub policy: Arc<OutboundPolicy>,
    /// The address this host listens on (`None` before it is bound: self requests fail).
    pub self_origin: Option<SocketAddr>,
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

/// Whether `uri` is a self request: authority `self.alt`, or none (Wasmtime gives a request
/// without one an empty authority).
fn is_self_request(uri: &http::Uri) -> bool {
    match uri.authority() {
        Some(authority) => authority.host() == "self.alt" || authority.host().is_empty(),
        None => true,
    }
}

/// `request` sent to `origin` instead (plain HTTP, the dev host's listener), with its path and
/// query, and `Host` naming the listener as Spin's self requests do.
fn to_origin(
    mut request: http::Request<WasiBody>,
    origin: SocketAddr,
) -> Result<http::Request<WasiBody>, Error> {
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", http::uri::PathAndQuery::as_str);
    let uri = http::Uri::builder()
        .scheme("http")
        .authority(origin.to_string())
        .path_and_query(path)
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    *request.uri_mut() = uri;
    let host = http::HeaderValue::from_str(&origin.to_string())
        .map_err(|_| Error::HttpRequestUriInvalid)?;
    request.headers_mut().insert(http::header::HOST, host);
    Ok(request)
}

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let uri = request.uri();
        let request = if is_self_request(uri) {
            if !self.policy.allows_self() {
                eprintln!(
                    "dev-host: component `{}` may not call the application itself: add \"http://self\" to allowed_outbound_hosts",
                    self.component
                );
                drop(fut);
                return Box::new(async { Err(Error::HttpRequestDenied) });
            }
            let Some(origin) = self.self_origin else {
                drop(fut);
                return Box::new(async { Err(Error::HttpRequestUriInvalid) });
            };
            match to_origin(request, origin) {
                Ok(request) => request,
                Err(e) => {
                    drop(fut);
                    return Box::new(async move { Err(e) });
                }
            }
        } else {
            let scheme = uri.scheme_str().unwrap_or("https").to_string();
            let host = uri.host().unwrap_or_default().to_string();
            let port = uri.port_u16();
            if !self.policy.allows(&scheme, &host, port) {
                // Spin prints the same kind of hint, so the fix is obvious.
                let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
                eprintln!(
                    "dev-host: component `{}` may not call {scheme}://{authority}: add it to allowed_outbound_hosts",
                    self.component
                );
                drop(fut);
                return Box::new(async { Err(Error::HttpRequestDenied) });
            }
            request
        };
        // Allowed: let Wasmtime's default client send it.
        struct Default;
        impl WasiHttpHooks for Default {}
        Default.send_request(request, options, fut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_requests_are_recognised_by_their_authority() {
        assert!(is_self_request(&"http://self.alt/polls/x".parse().unwrap()));
        assert!(is_self_request(&"/polls/x".parse().unwrap()));
        assert!(!is_self_request(&"http://self/polls/x".parse().unwrap()));
        assert!(!is_self_request(
            &"https://bib.example/polls/x".parse().unwrap()
        ));
    }
}
