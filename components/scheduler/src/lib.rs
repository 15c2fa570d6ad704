//! The `scheduler` component: posts prepared once and published on time to the library's
//! social accounts (Mastodon, Bluesky, outgoing webhooks), the tick the cron calls, the
//! channels and the lifecycle webhooks, campaigns with their public walls, and the webhooks
//! social platforms send. Its URL space (`/api/posts/...`, `/api/scheduler/...`,
//! `/api/campaigns/...`, `/campaigns/...`, `/webhooks/...`, `/api/channels/...`,
//! `/api/webhook-endpoints/...`) is declared in the manifest; paths nobody claims answer a
//! friendly 404 (JSON under `/api` and `/webhooks`, HTML elsewhere).
//!
//! The rules live in `kiosque_domain::{posts, channels, campaigns, inbound}`; this crate adapts
//! HTTP to them.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod campaigns;
mod channels;
mod http_client;
mod inbound;
mod platform;
mod posts;
mod tick;
mod webhooks_out;

/// Posts (staff API, admin token) and the tick (cron, `scheduler_tick_token`).
fn post_routes(router: &mut Routes) {
    router.post("/api/posts", posts::create);
    router.get("/api/posts", posts::list); // ?state=&from=&to=&page=
    router.get("/api/posts/calendar", posts::calendar); // ?month=YYYY-MM
    router.get("/api/posts/export.csv", posts::export_csv); // same query as the list
    router.post("/api/posts/import", posts::import_csv); // {"csv": "..."}
    router.get("/api/posts/slots/:channel", posts::get_slots);
    router.put("/api/posts/slots/:channel", posts::set_slots);
    router.get("/api/posts/:id", posts::show);
    router.get("/api/posts/:id/metrics", posts::metrics); // figures from the platforms
    router.put("/api/posts/:id", posts::edit);
    router.post("/api/posts/:id/schedule", posts::schedule); // {"at", "zone"?} or {"next_free_slot": true}
    router.post("/api/posts/:id/approve", posts::approve); // administrator
    router.post("/api/posts/:id/send-back", posts::send_back); // administrator, {"comment"}
    router.post("/api/posts/:id/unschedule", posts::unschedule);
    router.post("/api/posts/:id/cancel", posts::cancel);
    router.post_async("/api/posts/:id/publish", posts::publish_now);
    router.post_async("/api/scheduler/tick", tick::tick);
    router.get_async("/api/scheduler/tick", tick::tick); // crons that only GET a path
}

/// Channels and lifecycle webhook endpoints (staff API, admin token).
fn channel_routes(router: &mut Routes) {
    router.post("/api/channels", channels::create);
    router.get("/api/channels", channels::list);
    router.get("/api/channels/:id", channels::show);
    router.delete("/api/channels/:id", channels::delete);
    router.put("/api/channels/:id", channels::update); // {"approval_required"}
    router.put("/api/channels/:id/credentials", channels::set_credentials);
    router.post_async("/api/channels/:id/check", channels::check);
    router.post("/api/channels/:id/validate", channels::validate); // {"content": {...}}
    router.post("/api/webhook-endpoints", webhooks_out::create);
    router.get("/api/webhook-endpoints", webhooks_out::list);
    router.get(
        "/api/webhook-endpoints/deliveries",
        webhooks_out::deliveries,
    ); // ?before=&limit=
    router.delete("/api/webhook-endpoints/:id", webhooks_out::delete);
    router.post("/api/webhook-endpoints/:id/enable", webhooks_out::enable);
}

/// Campaigns: staff API (admin token) and the public walls.
fn campaign_routes(router: &mut Routes) {
    router.post("/api/campaigns", campaigns::create);
    router.get("/api/campaigns", campaigns::list);
    router.get("/api/campaigns/:id", campaigns::show); // ?page= (its posts)
    router.put("/api/campaigns/:id", campaigns::edit);
    router.get("/api/campaigns/:id/engagement", campaigns::engagement); // ?from=&to=
    router.get(
        "/api/campaigns/:id/engagement.svg",
        campaigns::engagement_svg,
    );
    router.get(
        "/api/campaigns/:id/engagement.html",
        campaigns::engagement_html,
    );
    router.get("/api/campaigns/:id/queue", campaigns::queue); // ?status=&page=&per_page=
    router.post(
        "/api/campaigns/:id/mentions/:seq/moderation",
        campaigns::moderate,
    ); // {"decision", "reason"?}
    router.get("/campaigns/:slug", campaigns::page); // ?page=
    router.get("/campaigns/:slug/embed", campaigns::embed);
}

/// Platform webhooks: signed by the platforms (no admin token), see `inbound.rs`.
fn webhook_routes(router: &mut Routes) {
    router.get("/webhooks/meta", inbound::meta_handshake); // ?hub.mode=&hub.verify_token=&hub.challenge=
    router.post("/webhooks/meta", inbound::meta);
    router.post("/webhooks/mastodon", inbound::mastodon);
    router.post("/webhooks/standard", inbound::standard);
}

fn routes() -> Routes {
    let mut router = Routes::new();
    post_routes(&mut router);
    channel_routes(&mut router);
    campaign_routes(&mut router);
    webhook_routes(&mut router);
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
