//! What the fakes show for hashtags: Mastodon's tag timeline (`GET /api/v1/timelines/tag/:tag`
//! with `min_id`/`max_id`/`since_id`/`limit` and `Link` headers, as Mastodon pages) and
//! Bluesky's post search (`app.bsky.feed.searchPosts` with `q`, `tag`, `sort`, `since`,
//! `limit`, `cursor`). Tests add posts; the fakes answer from them and record what breaks
//! the platforms' rules in their [`Problems`].

use std::sync::Mutex;

use super::Problems;
use super::server::{FakeRequest, FakeResponse};

/// Posts (Mastodon statuses or Bluesky post views) a fake shows, in the order added.
#[derive(Default)]
pub struct TagPosts(Mutex<Vec<serde_json::Value>>);

impl TagPosts {
    pub fn add(&self, post: serde_json::Value) {
        self.0.lock().unwrap().push(post);
    }

    fn all(&self) -> Vec<serde_json::Value> {
        self.0.lock().unwrap().clone()
    }
}

/// A public Mastodon status with the hashtag `tag` in its text and its `tags`.
pub fn mastodon_status(id: u64, tag: &str, text: &str, acct: &str) -> serde_json::Value {
    let server = acct.split('@').nth(1).unwrap_or("far.example");
    serde_json::json!({
        "id": id.to_string(),
        "uri": format!("https://{server}/users/{}/statuses/{id}", acct.split('@').next().unwrap_or("")),
        "url": format!("https://{server}/@{}/{id}", acct.split('@').next().unwrap_or("")),
        "created_at": "2027-03-27T08:00:00.000Z",
        "visibility": "public",
        "reblog": null,
        "spoiler_text": "",
        "content": format!("<p>{text} <a href=\"https://{server}/tags/{tag}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a></p>"),
        "account": {"acct": acct, "username": acct.split('@').next().unwrap_or(""),
                    "display_name": acct.split('@').next().unwrap_or(""),
                    "url": format!("https://{server}/@{}", acct.split('@').next().unwrap_or(""))},
        "media_attachments": [{"type": "image", "description": format!("Photo: {text}")}],
        "tags": [{"name": tag.to_lowercase(), "url": format!("https://{server}/tags/{}", tag.to_lowercase())}],
    })
}

/// A Bluesky post view with the hashtag `tag` as a facet, indexed at `indexed_at`.
pub fn bluesky_post(rkey: &str, tag: &str, text: &str, indexed_at: &str) -> serde_json::Value {
    let full = format!("{text} #{tag}");
    let start = text.len() + 1;
    serde_json::json!({
        "uri": format!("at://did:plc:patron/app.bsky.feed.post/{rkey}"),
        "cid": "bafyfakepost",
        "author": {"did": "did:plc:patron", "handle": "patron.bsky.social", "displayName": "Patron"},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": full,
            "createdAt": indexed_at,
            "facets": [{"index": {"byteStart": start, "byteEnd": full.len()},
                        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]}],
        },
        "indexedAt": indexed_at,
    })
}

/// Decodes `%XX` escapes of a path segment (hashtags may carry accents).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn numeric(id: &str) -> u128 {
    id.parse().unwrap_or(0)
}

/// `GET /api/v1/timelines/tag/:tag`: Mastodon's paging. Ids are decimal integers; the page is
/// always newest first; with `min_id` it is the page just after `min_id` (oldest first taken,
/// then reversed), as Mastodon does.
pub fn mastodon_tag_timeline(
    posts: &TagPosts,
    req: &FakeRequest,
    base: &str,
    problems: &Problems,
) -> FakeResponse {
    let tag = req
        .path()
        .strip_prefix("/api/v1/timelines/tag/")
        .map(|t| percent_decode(t).to_lowercase())
        .unwrap_or_default();
    let limit: usize = match req.query("limit") {
        Some(limit) => limit.parse().unwrap_or(0),
        None => 20,
    };
    if !(1..=40).contains(&limit) {
        problems.add(format!(
            "mastodon tag timeline: limit {limit} outside 1..=40"
        ));
    }
    if req.query("min_id").is_some() && req.query("since_id").is_some() {
        problems.add("mastodon tag timeline: min_id and since_id together");
    }
    let mut matching: Vec<serde_json::Value> = posts
        .all()
        .into_iter()
        .filter(|s| {
            s["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|t| t["name"].as_str().map(str::to_lowercase).as_deref() == Some(&tag))
        })
        .collect();
    let id = |s: &serde_json::Value| numeric(s["id"].as_str().unwrap_or("0"));
    matching.sort_by_key(|s| std::cmp::Reverse(id(s)));
    if let Some(max_id) = req.query("max_id") {
        matching.retain(|s| id(s) < numeric(&max_id));
    }
    let page: Vec<serde_json::Value> = if let Some(min_id) = req.query("min_id") {
        let mut newer: Vec<_> = matching
            .into_iter()
            .filter(|s| id(s) > numeric(&min_id))
            .collect();
        newer.reverse();
        let mut page: Vec<_> = newer.into_iter().take(limit.max(1)).collect();
        page.reverse();
        page
    } else {
        if let Some(since_id) = req.query("since_id") {
            matching.retain(|s| id(s) > numeric(&since_id));
        }
        matching.into_iter().take(limit.max(1)).collect()
    };
    let mut response = FakeResponse::json(200, serde_json::Value::Array(page.clone()));
    if let (Some(newest), Some(oldest)) = (page.first(), page.last()) {
        let url = format!("{base}/api/v1/timelines/tag/{tag}");
        response = response.with_header(
            "link",
            &format!(
                "<{url}?max_id={}>; rel=\"next\", <{url}?min_id={}>; rel=\"prev\"",
                oldest["id"].as_str().unwrap_or(""),
                newest["id"].as_str().unwrap_or(""),
            ),
        );
    }
    response
}

/// `GET /xrpc/app.bsky.feed.searchPosts`: the AppView's search as the PDS forwards it
/// (authentication is checked by the caller). `cursor` is an offset in the answer.
pub fn bluesky_search(posts: &TagPosts, req: &FakeRequest, problems: &Problems) -> FakeResponse {
    let Some(q) = req.query("q").filter(|q| !q.trim().is_empty()) else {
        problems.add("bluesky searchPosts: `q` is required");
        return FakeResponse::json(
            400,
            serde_json::json!({"error": "InvalidRequest", "message": "Params must have the property \"q\""}),
        );
    };
    let tag = req.query("tag").unwrap_or_default().to_lowercase();
    if tag.is_empty() || tag.starts_with('#') {
        problems.add(format!("bluesky searchPosts: tag {tag:?} (without '#')"));
    }
    if !q.to_lowercase().contains(&tag) {
        problems.add(format!(
            "bluesky searchPosts: q {q:?} does not name the tag"
        ));
    }
    if req.query("sort").as_deref() != Some("latest") {
        problems.add("bluesky searchPosts: sort is not latest");
    }
    let limit: usize = req
        .query("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25);
    if !(1..=100).contains(&limit) {
        problems.add(format!(
            "bluesky searchPosts: limit {limit} outside 1..=100"
        ));
    }
    let since = req.query("since");
    let offset: usize = req
        .query("cursor")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let has_tag = |post: &serde_json::Value| {
        post["record"]["facets"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f["features"].as_array().into_iter().flatten())
            .any(|f| f["tag"].as_str().map(str::to_lowercase).as_deref() == Some(&tag))
    };
    let mut matching: Vec<serde_json::Value> = posts
        .all()
        .into_iter()
        .filter(has_tag)
        .filter(|p| {
            since
                .as_deref()
                .is_none_or(|s| p["indexedAt"].as_str().unwrap_or("") >= s)
        })
        .collect();
    matching.sort_by(|a, b| {
        b["indexedAt"]
            .as_str()
            .unwrap_or("")
            .cmp(a["indexedAt"].as_str().unwrap_or(""))
    });
    let page: Vec<_> = matching.iter().skip(offset).take(limit).cloned().collect();
    let mut body = serde_json::json!({"posts": page, "hitsTotal": matching.len()});
    if offset + limit < matching.len() {
        body["cursor"] = (offset + limit).to_string().into();
    }
    FakeResponse::json(200, body)
}
