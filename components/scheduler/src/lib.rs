//! The `scheduler` component: scheduled posts to Mastodon, Bluesky and Meta, campaigns, and
//! the platforms' webhooks. Its URL space (`/api/posts/...`, `/api/scheduler/...`,
//! `/api/campaigns/...`, `/campaigns/...`, `/webhooks/...`, `/api/channels/...`,
//! `/api/webhook-endpoints/...`) is declared in the manifest; paths nobody claims answer a
//! friendly 404 (JSON under `/api` and `/webhooks`, HTML elsewhere).

use spin_sdk::http::{IncomingRequest, Response, Router};
use spin_sdk::http_component;

mod channels;
mod http_client;
mod webhooks_out;

/// Channels and lifecycle webhook endpoints (staff API, admin token).
fn channel_routes(router: &mut Router) {
    router.post("/api/channels", channels::create);
    router.get("/api/channels", channels::list);
    router.get("/api/channels/:id", channels::show);
    router.delete("/api/channels/:id", channels::delete);
    router.put("/api/channels/:id/credentials", channels::set_credentials);
    router.post_async("/api/channels/:id/check", channels::check);
    router.post("/api/channels/:id/validate", channels::validate); // {"content": {...}}
    router.post("/api/webhook-endpoints", webhooks_out::create);
    router.get("/api/webhook-endpoints", webhooks_out::list);
    router.get("/api/webhook-endpoints/deliveries", webhooks_out::deliveries); // ?before=&limit=
    router.delete("/api/webhook-endpoints/:id", webhooks_out::delete);
    router.post("/api/webhook-endpoints/:id/enable", webhooks_out::enable);
}

fn routes() -> Router {
    let mut router = Router::new();
    channel_routes(&mut router);
    router
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    kiosque_spin::serve(&routes(), req).await
}
