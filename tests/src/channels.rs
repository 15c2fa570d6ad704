//! Channels connected through the API against the loopback fakes (`crate::fakes`), one
//! function per kind: each answers the new channel's id.

use serde_json::{Value, json};

use crate::TestApp;
use crate::fakes::{FakeBluesky, FakeMastodon, FakeMeta};

fn connect(app: &TestApp, request: Value) -> String {
    let created = app.post_json_as_admin_ok("/api/channels", &request);
    created["channel"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a channel id: {created}"))
        .to_owned()
}

/// A Mastodon channel named "Mastodon" on `fake`, with `token`.
pub fn mastodon(app: &TestApp, fake: &FakeMastodon, token: &str) -> String {
    connect(
        app,
        json!({"kind": "mastodon", "name": "Mastodon", "url": fake.url(), "access_token": token}),
    )
}

/// A Bluesky channel named "Bluesky" on `fake`, as `handle` with `app_password`.
pub fn bluesky(app: &TestApp, fake: &FakeBluesky, handle: &str, app_password: &str) -> String {
    connect(
        app,
        json!({"kind": "bluesky", "name": "Bluesky", "url": fake.url(),
               "handle": handle, "app_password": app_password}),
    )
}

/// A Facebook Page channel named "Page Facebook" on `fake`: Page `page_id`, its `token`.
pub fn facebook(app: &TestApp, fake: &FakeMeta, page_id: &str, token: &str) -> String {
    connect(
        app,
        json!({"kind": "facebook", "name": "Page Facebook", "url": fake.url(),
               "account_id": page_id, "access_token": token}),
    )
}

/// An Instagram channel named "Instagram" on `fake`: professional account `ig_user_id`,
/// through its Page's `token`.
pub fn instagram(app: &TestApp, fake: &FakeMeta, ig_user_id: &str, token: &str) -> String {
    connect(
        app,
        json!({"kind": "instagram", "name": "Instagram", "url": fake.url(),
               "account_id": ig_user_id, "access_token": token}),
    )
}
