//! The `showcases` component: the library's shop window. The home page, showcases (music
//! playlists, book extracts, film picks, virtual exhibitions) and events (with live streams),
//! their RSS/Atom feeds and iCalendar files, and the staff API that builds them. The manifest
//! also routes its `/...` catch-all here, so every path no other component claims gets this
//! component's friendly 404 (JSON under `/api` and `/webhooks`, an HTML page elsewhere), and
//! the site pages every footer links (`/confidentialite`, `/accessibilite`,
//! `/mentions-legales`, edited through `/api/site-pages/...`).
//!
//! The rules live in `kiosque_domain::showcases` and `kiosque_domain::events`; this crate
//! adapts HTTP to them.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod analytics;
mod api;
mod event_pages;
mod feeds;
mod home;
mod render;
mod showcase_pages;
mod site_pages;

fn routes() -> Routes {
    let mut router = Routes::new();
    router.get("/", home::home);

    router.get("/showcases", showcase_pages::list); // ?page=
    router.get("/showcases/:id", showcase_pages::show);
    router.get("/showcases/:id/rooms/:room", showcase_pages::room); // exhibitions, 1-based
    router.get("/showcases/:id/embed", showcase_pages::embed);
    router.get("/events", event_pages::list); // ?page=
    router.get("/events/:id", event_pages::show);
    router.get("/events/:id/embed", event_pages::embed);
    router.get("/events/:id/event.ics", event_pages::ics);
    router.get("/feeds/showcases.rss", feeds::showcases_rss);
    router.get("/feeds/showcases.atom", feeds::showcases_atom);
    router.get("/feeds/events.rss", feeds::events_rss);
    router.get("/feeds/events.atom", feeds::events_atom);
    router.get("/feeds/events.ics", feeds::events_ics);
    router.get("/confidentialite", site_pages::privacy);
    router.get("/accessibilite", site_pages::accessibility);
    router.get("/mentions-legales", site_pages::legal);
    router.get("/api/site-pages/:name", site_pages::get); // staff
    router.put("/api/site-pages/:name", site_pages::put); // admin
    router.get("/api/analytics/views", analytics::views); // staff, ?from=&to=

    router.post("/api/showcases", api::create_showcase); // admin
    router.get("/api/showcases", api::list_showcases); // admin, drafts too, ?page=
    router.get("/api/showcases/:id", api::show_showcase); // drafts for admin only
    router.put("/api/showcases/:id", api::edit_showcase); // admin
    router.delete("/api/showcases/:id", api::delete_showcase); // admin
    router.post("/api/showcases/:id/order", api::reorder_items); // admin
    router.post("/api/showcases/:id/items", api::add_item); // admin, appends one
    router.put("/api/showcases/:id/items/:index", api::replace_item); // admin, 0-based
    router.delete("/api/showcases/:id/items/:index", api::remove_item); // admin
    router.post("/api/showcases/:id/publish", api::publish_showcase); // admin, {"at"?}
    router.post("/api/showcases/:id/unpublish", api::unpublish_showcase); // admin
    router.post("/api/showcases/:id/feature", api::feature_showcase); // admin
    router.post("/api/events", api::create_event); // admin
    router.get("/api/events", api::list_events); // admin, drafts too, ?page=
    router.get("/api/events/:id", api::show_event); // drafts for admin only
    router.put("/api/events/:id", api::edit_event); // admin
    router.delete("/api/events/:id", api::delete_event); // admin
    router.post("/api/events/:id/publish", api::publish_event); // admin, {"at"?}
    router.post("/api/events/:id/unpublish", api::unpublish_event); // admin
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
