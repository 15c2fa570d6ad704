//! The `polls` component: staff create polls through the JSON API, patrons vote on an HTML
//! page (no JavaScript needed) or through the API, and everyone sees the results.
//!
//! URL space (see `spin.toml`): `/polls/...`, `/api/polls/...`; the `/questions/...`,
//! `/contests/...` and other `/api/...` paths it also receives answer a friendly 404 for now.
//! The rules live in `kiosque_domain::polls`; this crate only adapts HTTP to them.

use spin_sdk::http::{IncomingRequest, Response, Router};
use spin_sdk::http_component;

mod api;
mod pages;
mod voter;

fn routes() -> Router {
    let mut router = Router::new();
    router.post("/api/polls", api::create_poll); // admin
    router.get("/api/polls/:id", api::show_poll);
    router.post("/api/polls/:id/votes", api::cast_vote);
    router.get("/api/polls/:id/results", api::results);
    router.get("/polls/:id", pages::poll);
    router.post("/polls/:id/vote", pages::vote);
    router.get("/polls/:id/results", pages::results);
    router
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    kiosque_spin::serve(&routes(), req).await
}
