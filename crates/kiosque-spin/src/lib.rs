//! The Spin adapter shared by Kiosque's components: everything that touches `spin_sdk`
//! besides the route tables themselves.
//!
//! - [`store::SpinStore`]: the domain's `KvStore` over Spin's key-value store `default`;
//! - [`clock::SystemClock`] and [`ids`]: time and randomness from the host;
//! - [`error::ApiError`] / [`error::PageError`]: the one mapping from domain error kinds to
//!   HTTP statuses, as problem details (JSON) or as an HTML page;
//! - [`auth`], [`json`], [`form`], [`cookies`], [`lang`], [`html`], [`response`]: request
//!   parsing and response building;
//! - [`same_site`]: refusing state-changing requests sent from other sites;
//! - [`serve`]: the entry point every component calls, which reads the body with a size cap,
//!   routes, and turns the router's bare 404/405 into friendly answers;
//! - `audience` (feature `page-views`): the page view `serve` counts after a public page is
//!   answered;
//! - [`routes::Routes`]: a component's route table, which knows the methods of each path
//!   (the `Allow` header of a 405).
//!
//! Handlers return `Result<Response, ApiError>` (or `PageError`), never `anyhow::Error`, whose
//! spin-sdk conversion would send internal error text to the client.

#[cfg(feature = "page-views")]
pub mod audience;
pub mod auth;
pub mod client;
pub mod clock;
pub mod config;
pub mod cookies;
pub mod error;
pub mod form;
pub mod html;
pub mod ids;
pub mod json;
pub mod lang;
pub mod response;
pub mod routes;
pub mod same_site;
pub mod serve;
pub mod store;

pub use clock::SystemClock;
pub use error::{ApiError, PageError, RequestError};
pub use html::layout::{PageContext, PageMeta, ShareImage};
pub use lang::Lang;
pub use routes::Routes;
pub use serve::{respond, serve, serve_fn};
pub use store::SpinStore;
