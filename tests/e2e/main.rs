//! The end-to-end suite: real `.wasm` components on the dev host, booted
//! in-process on the real `spin.toml` with a temporary data folder and a free
//! port, driven over HTTP. With `KIOSQUE_BASE_URL` (and `KIOSQUE_ADMIN_TOKEN`)
//! the app tests run against that running instance instead (for example
//! `spin up`); the dev host's own tests always run in-process.

mod accessibility;
mod audience;
mod campaigns;
mod channels;
mod cluster;
mod console;
mod contest_photos;
mod contests;
mod dates;
mod host;
mod inbound;
mod link_cards;
mod media;
mod meta;
mod openapi;
mod polls;
mod post_metrics;
mod privacy;
mod questions;
mod reports;
mod scheduler;
mod showcases;
mod site;
mod staff;
mod tutorials;
