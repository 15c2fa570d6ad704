//! A small Wasmtime host that runs Kiosque's `spin.toml` the way `spin up`
//! does, for development and tests on machines where the Spin CLI cannot be
//! installed.
//!
//! It is development and test infrastructure: production runs on Spin
//! (`spin up`, SpinKube, hosted Spin platforms). It implements what Kiosque's
//! components use, faithfully: Spin's routes and `spin-*` headers, a fresh
//! instance per request, the key-value store (SQLite in Spin's file format by
//! default, or Redis with Spin's Redis semantics through a runtime config),
//! outbound Redis, variables, `allowed_outbound_hosts` and read-only `files`
//! mounts.

pub mod cli;
pub mod clock;
pub mod host;
pub mod kv;
pub mod kv_redis;
pub mod manifest;
pub mod outbound;
mod outbound_hooks;
mod outbound_redis;
pub mod routes;
pub mod runtime_config;
mod server;
pub mod spin_build;
pub mod variables;

pub use server::{
    App, BackgroundHost, DEFAULT_REQUEST_TIMEOUT, DevHostConfig, GuestTimings,
    MAX_REQUEST_BODY_BYTES, RunningHost, TimingsSnapshot, start,
};
