//! The `polls` component: patron engagement. Staff create polls, questions
//! and contests through the JSON API; patrons vote, answer and take part on
//! HTML pages (no JavaScript needed) or through the API.
//!
//! URL space (see `spin.toml`): `/polls/...`, `/questions/...`,
//! `/contests/...` and their `/api/...` twins. Each area registers its own
//! routes below; the rules live in `kiosque_domain`, this crate only adapts
//! HTTP to them.

use spin_sdk::http::{IncomingRequest, Response, Router};
use spin_sdk::http_component;

mod api;
mod pages;
mod voter;

/// The route table of the polls area.
fn poll_routes(router: &mut Router) {
    router.post("/api/polls", api::create_poll); // admin
    router.get("/api/polls/:id", api::show_poll);
    router.post("/api/polls/:id/votes", api::cast_vote);
    router.get("/api/polls/:id/results", api::results);
    router.get("/polls/:id", pages::poll);
    router.post("/polls/:id/vote", pages::vote);
    router.get("/polls/:id/results", pages::results);
}

fn routes() -> Router {
    let mut router = Router::new();
    poll_routes(&mut router);
    router
}

#[http_component]
async fn handle(req: IncomingRequest) -> Response {
    kiosque_spin::serve(&routes(), req).await
}
