//! The `reports` component: what the social networks and the public pages brought, for
//! staff. JSON for the console (`/api/reports/...`), CSV downloads for spreadsheets, and the
//! printable activity report a director can file (`/reports/...`, HTML with a print
//! stylesheet, accessible charts followed by their data tables). Everything here is read
//! only and staff only; the figures come from `kiosque_domain::analytics::reports`.

use kiosque_spin::Routes;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

mod api;
mod pages;

fn routes() -> Routes {
    let mut router = Routes::new();
    router.get("/api/reports/monthly/:month", api::monthly); // staff, YYYY-MM
    router.get(
        "/api/reports/monthly/:month/posts.csv",
        api::monthly_posts_csv,
    ); // staff
    router.get(
        "/api/reports/monthly/:month/pages.csv",
        api::monthly_pages_csv,
    ); // staff
    router.get(
        "/api/reports/monthly/:month/days.csv",
        api::monthly_days_csv,
    ); // staff
    router.get("/api/reports/campaigns/:id", api::campaign); // staff
    router.get(
        "/api/reports/campaigns/:id/posts.csv",
        api::campaign_posts_csv,
    ); // staff
    router.get("/api/reports/posts/:id", api::post); // staff
    router.get("/api/reports/recent", api::recent); // staff, the last 30 days
    router.get("/reports/monthly/:month", pages::monthly); // staff, printable
    router.get(
        "/reports/monthly/:month/charts/:chart",
        pages::monthly_chart,
    ); // staff, SVG
    router.get("/reports/campaigns/:id", pages::campaign); // staff, printable
    router
}

#[http_component]
async fn handle(req: IncomingRequest, out: ResponseOutparam) {
    kiosque_spin::serve(&routes(), req, out).await
}
