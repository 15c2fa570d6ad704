//! The `tutorials` component: step-by-step guides to the library's digital services. Staff
//! write, version, schedule and reuse content through the JSON API (`/api/tutorials/...`);
//! patrons find, follow, print and rate tutorials on HTML pages that work without JavaScript
//! (`/tutorials/...`). The rules live in `kiosque_domain::tutorials`.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod api;
mod pages;
mod visitor;

fn routes() -> Routes {
    let mut router = Routes::new();
    router.post("/api/tutorials", api::create); // admin
    router.get("/api/tutorials", api::list); // admin, drafts included
    router.post("/api/tutorials/preview", api::preview); // editors, {"markdown"}
    router.get("/api/tutorials/search", api::search); // ?q=
    router.get("/api/tutorials/blocks", api::list_blocks); // admin
    router.get("/api/tutorials/blocks/:id", api::get_block); // admin
    router.put("/api/tutorials/blocks/:id", api::put_block); // admin
    router.get("/api/tutorials/:slug", api::show); // admin
    router.put("/api/tutorials/:slug", api::update); // admin, a new version
    router.delete("/api/tutorials/:slug", api::delete); // admin
    router.get("/api/tutorials/:slug/versions", api::history); // admin
    router.get("/api/tutorials/:slug/versions/:n", api::version); // admin
    router.post("/api/tutorials/:slug/versions/:n/restore", api::restore); // admin
    router.post("/api/tutorials/:slug/publish", api::publish); // admin, {"at"?}
    router.post("/api/tutorials/:slug/unpublish", api::unpublish); // admin
    router.get("/api/tutorials/:slug/feedback", api::feedback); // admin
    router.post("/api/tutorials/:slug/feedback", api::rate); // public
    router.get("/tutorials", pages::index); // ?q=, ?tag=
    router.get("/tutorials/feed.xml", pages::feed); // RSS 2.0
    router.get("/tutorials/feed.atom", pages::feed); // Atom
    router.get("/tutorials/:slug", pages::overview);
    router.get("/tutorials/:slug/steps/:n", pages::step);
    router.get("/tutorials/:slug/print", pages::print);
    router.post("/tutorials/:slug/feedback", pages::rate_form);
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
