//! Kiosque's domain core: the rules of polls (and, later, showcases, campaigns and tutorials)
//! written against a key-value store trait, a clock and parsed types.
//!
//! This crate never imports `spin_sdk`: the Spin components adapt HTTP requests to these
//! functions through `kiosque-spin`, and the unit tests run natively on [`store::MemoryStore`]
//! with a [`clock::FixedClock`], deterministically.
//!
//! Invariants kept here:
//! - only [`keys`] builds store keys, so the key schema is documented in one place;
//! - every request-path function costs a bounded number of store operations and never lists
//!   the store;
//! - values that come from outside are parsed once into types (`PollId`, `NewPoll`, ...), so the
//!   functions below never re-validate.

pub mod analytics;
pub mod campaigns;
pub mod channels;
pub mod claims;
pub mod clock;
pub mod contests;
pub mod csv;
pub mod error;
pub mod events;
pub mod feed;
pub mod hashing;
pub mod hashtag;
pub mod home;
pub mod ids;
pub mod inbound;
pub mod keys;
pub mod markdown;
pub mod media;
pub mod moderation;
pub mod polls;
pub mod posts;
pub mod questions;
pub mod ratelimit;
pub mod retention;
pub mod showcases;
pub mod site_pages;
pub mod social;
pub mod staff;
pub mod store;
pub mod tutorials;
pub mod video;
pub mod web;
pub mod zone;

pub use clock::{Clock, FixedClock, Timestamp};
pub use error::{DomainError, ErrorKind};
pub use store::{KvStore, MemoryStore, StoreError};
