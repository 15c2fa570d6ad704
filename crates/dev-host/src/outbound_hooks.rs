//! The `wasi:http` hooks of a request: outgoing requests go through only to
//! the component's `allowed_outbound_hosts`.

use std::sync::Arc;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::outbound::OutboundPolicy;

pub struct OutboundHooks {
    pub component: String,
    pub policy: Arc<OutboundPolicy>,
}

type SendFuture = Box<
    dyn Future<
            Output = wasmtime_wasi_http::Result<(
                http::Response<WasiBody>,
                Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
            )>,
        > + Send,
>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> SendFuture {
        let uri = request.uri();
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
        // Allowed: let Wasmtime's default client send it.
        struct Default;
        impl WasiHttpHooks for Default {}
        Default.send_request(request, options, fut)
    }
}
