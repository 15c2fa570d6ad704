//! The `media` component: the library's images. Staff upload a file in parts
//! (`/api/media/uploads/...`), which is decoded, turned upright and re-encoded into
//! renditions without metadata on completion (`kiosque-imaging`); they then describe it (alt
//! text, credit, licence). Everybody reads the renditions at stable addresses
//! (`/media/{id}/{thumb,page,social,framed}.jpg`), cached for ever since they never change. The
//! rules and the storage live in `kiosque_domain::media`. The image codecs live only here, so
//! the other components do not carry them. For the same reason a patron's photo or drawing
//! entry to a contest is posted here (`/media/contest-entries/:id`): its image becomes a
//! patron medium, served once the entry is approved.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod api;
mod contest_entries;
mod files;

fn routes() -> Routes {
    let mut router = Routes::new();
    router.post("/api/media/uploads", api::start_upload); // edit
    router.put("/api/media/uploads/:id/parts/:n", api::put_part); // edit, raw bytes
    router.post("/api/media/uploads/:id/complete", api::complete_upload); // edit
    router.delete("/api/media/uploads/:id", api::abandon_upload); // edit
    router.get("/api/media", api::list_media); // view, ?before=
    router.get("/api/media/:id", api::show_medium); // view
    router.put("/api/media/:id", api::describe_medium); // edit
    router.delete("/api/media/:id", api::delete_medium); // edit
    router.get("/media/:id/:file", files::rendition); // public (a patron's once approved)
    router.post("/media/contest-entries/:id", contest_entries::submit); // public, multipart
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
