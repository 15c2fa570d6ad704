//! The `polls` component: patron engagement. Staff create polls, questions
//! and contests through the JSON API; patrons vote, answer and take part on
//! HTML pages (no JavaScript needed) or through the API.
//!
//! URL space (see `spin.toml`): `/polls/...`, `/questions/...`,
//! `/contests/...` and their `/api/...` twins, and `/api/privacy/...` (the RGPD purge of
//! every area and erasure). Each area registers its own
//! routes below; the rules live in `kiosque_domain`, this crate only adapts
//! HTTP to them.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod api;
mod contests;
mod engage;
mod pages;
mod privacy;
mod questions;
mod voter;

/// The route table of the polls area.
fn poll_routes(router: &mut Routes) {
    router.post("/api/polls", api::create_poll); // admin
    router.get("/api/polls", api::list_polls); // admin, ?status=
    router.get("/api/polls/:id", api::show_poll);
    router.put("/api/polls/:id", api::edit_poll); // admin, before the first vote
    router.delete("/api/polls/:id", api::delete_poll); // admin
    router.post("/api/polls/:id/open", api::open_poll); // admin
    router.post("/api/polls/:id/close", api::close_poll); // admin
    router.post("/api/polls/:id/codes", api::create_codes); // admin
    router.post("/api/polls/:id/votes", api::cast_vote);
    router.get("/api/polls/:id/results", api::results);
    router.get("/api/polls/:id/results.csv", api::results_csv); // admin
    router.get("/polls/:id", pages::poll);
    router.post("/polls/:id/vote", pages::vote);
    router.get("/polls/:id/results", pages::results);
    router.get("/polls/:id/embed", pages::embed);
}

/// The route table of questions (patron answers, moderated).
fn question_routes(router: &mut Routes) {
    router.post("/api/questions", questions::create); // admin
    router.get("/api/questions", questions::list_all); // admin, newest first, ?page=
    router.get("/api/questions/:id", questions::show);
    router.post("/api/questions/:id/state", questions::set_state); // admin
    router.post("/api/questions/:id/answers", questions::submit);
    router.get("/api/questions/:id/answers", questions::list);
    router.get("/api/questions/:id/queue", questions::queue); // admin
    router.post(
        "/api/questions/:id/answers/:seq/moderation",
        questions::moderate,
    ); // admin
    router.post("/api/questions/:id/answers/:seq/likes", questions::like);
    router.get("/questions/:id", questions::page);
    router.post("/questions/:id/answer", questions::submit_form);
    router.post("/questions/:id/answers/:seq/like", questions::like_form);
}

/// The route table of contests and challenges.
fn contest_routes(router: &mut Routes) {
    router.post("/api/contests", contests::create); // admin
    router.get("/api/contests", contests::list); // admin, newest first, ?page=
    router.post("/api/contests/purge", contests::purge); // admin (cron)
    router.post("/api/contests/participants/export", contests::export); // admin
    router.post("/api/contests/participants/erase", contests::erase); // admin
    router.get("/api/contests/:id", contests::show);
    router.post("/api/contests/:id/entries", contests::submit);
    router.get("/api/contests/:id/entries", contests::gallery);
    router.get("/api/contests/:id/queue", contests::queue); // admin
    router.post(
        "/api/contests/:id/entries/:seq/moderation",
        contests::moderate,
    ); // admin
    router.put("/api/contests/:id/entries/:seq/alt", contests::correct_alt); // moderators
    router.post("/api/contests/:id/votes", contests::vote);
    router.post("/api/contests/:id/winners", contests::winners); // admin
    router.post("/api/contests/:id/close", contests::close); // admin
    router.get("/api/contests/:id/results", contests::results);
    router.get("/contests/:id", contests::page);
    router.post("/contests/:id/enter", contests::enter_form);
    router.post("/contests/:id/vote", contests::vote_form);
    router.get("/contests/:id/results", contests::results_page);
}

/// Patrons' data across areas (RGPD): the daily purge and erasure by handle or email.
fn privacy_routes(router: &mut Routes) {
    router.post("/api/privacy/purge", privacy::purge); // admin (cron)
    router.post("/api/privacy/erase", privacy::erase); // admin
}

fn routes() -> Routes {
    let mut router = Routes::new();
    poll_routes(&mut router);
    privacy_routes(&mut router);
    question_routes(&mut router);
    contest_routes(&mut router);
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
