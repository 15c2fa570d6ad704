//! The `scheduler` component: scheduled posts to Mastodon, Bluesky and Meta, campaigns, and
//! the platforms' webhooks. Its URL space (`/api/posts/...`, `/api/scheduler/...`,
//! `/api/campaigns/...`, `/campaigns/...`, `/webhooks/...`) is reserved in the manifest; the
//! features arrive with later issues, so for now every path answers a friendly 404 (JSON
//! under `/api` and `/webhooks`, HTML elsewhere).

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
