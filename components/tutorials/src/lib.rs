//! The `tutorials` component: step-by-step guides to the library's digital services. Its URL
//! space (`/tutorials/...`, `/api/tutorials/...`) is reserved in the manifest; the feature
//! arrives with a later issue, so for now every path answers a friendly 404.

use spin_sdk::http::{IncomingRequest, Response, Router};
use spin_sdk::http_component;

fn routes() -> Router {
    // No routes yet.
    Router::new()
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    kiosque_spin::serve(&routes(), req).await
}
