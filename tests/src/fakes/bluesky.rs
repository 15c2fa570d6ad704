//! A fake Bluesky PDS: sessions (`createSession`, `refreshSession`, `getSession`),
//! `resolveHandle`, `uploadBlob` and `createRecord`/`getRecord` for `app.bsky.feed.post`,
//! checking the post rules (300 graphemes, 3000 bytes, langs <= 3, tags <= 8) and every facet
//! (byte offsets on character boundaries, covering exactly the `#tag`, link or `@mention`),
//! and embeds: up to 4 images with alt text, or a link card (`app.bsky.embed.external`: an
//! absolute `uri`, `title` and `description` strings, and a `thumb` that must be a blob this
//! PDS returned from an earlier `uploadBlob`, with its `mimeType` and `size`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::server::{Failure, FakeRequest, FakeResponse, FakeServer};
use super::tags::{self, TagPosts};
use super::{Failures, Problems, graphemes};

#[derive(Default)]
struct State {
    access: Vec<String>,
    refresh: Vec<String>,
    expired: Vec<String>,
    create_sessions: usize,
    refresh_sessions: usize,
    records: Vec<(String, serde_json::Value)>,
    blobs: usize,
    /// The blob references `uploadBlob` returned, for checking what records embed.
    uploaded: Vec<serde_json::Value>,
    requests: Vec<FakeRequest>,
    handles: HashMap<String, String>,
    /// Figures a test set per record key (`likeCount`, ...), shown by `getPosts`; posts
    /// deleted by a test: `getPosts` leaves them out.
    figures: super::PostFigures,
    /// The app password was revoked: no session is given any more.
    revoked: bool,
}

struct Inner {
    handle: String,
    password: String,
    did: String,
    state: Mutex<State>,
    problems: Problems,
    failures: Failures,
    search_posts: TagPosts,
}

pub struct FakeBluesky {
    inner: Arc<Inner>,
    server: FakeServer,
}

const POST: &str = "app.bsky.feed.post";

impl FakeBluesky {
    /// A PDS holding the account `handle` with the app password `password`.
    pub fn start(handle: &str, password: &str) -> Self {
        let inner = Arc::new(Inner {
            handle: handle.to_owned(),
            password: password.to_owned(),
            did: "did:plc:kiosquebib".to_owned(),
            state: Mutex::default(),
            problems: Problems::default(),
            failures: Failures::default(),
            search_posts: TagPosts::default(),
        });
        let handler = inner.clone();
        let server = FakeServer::start(move |req| handler.handle(req));
        FakeBluesky { inner, server }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn did(&self) -> String {
        self.inner.did.clone()
    }

    /// Lets `resolveHandle` find another account.
    pub fn add_handle(&self, handle: &str, did: &str) {
        let mut state = self.inner.state.lock().unwrap();
        state.handles.insert(handle.to_owned(), did.to_owned());
    }

    pub fn fail_next(&self, path_part: &str, failure: Failure) {
        self.inner.failures.push(path_part, failure);
    }

    /// Makes a post view (see [`tags::bluesky_post`]) findable by `searchPosts`.
    pub fn add_search_post(&self, post: serde_json::Value) {
        self.inner.search_posts.add(post);
    }

    /// Every access token issued so far stops working (`ExpiredToken`).
    pub fn expire_access_tokens(&self) {
        let mut state = self.inner.state.lock().unwrap();
        let access = std::mem::take(&mut state.access);
        state.expired.extend(access);
    }

    /// `(rkey, record)` of the posts created, each once whatever the retries.
    pub fn records(&self) -> Vec<(String, serde_json::Value)> {
        self.inner.state.lock().unwrap().records.clone()
    }

    /// The blob references `uploadBlob` returned, in order.
    pub fn uploaded_blobs(&self) -> Vec<serde_json::Value> {
        self.inner.state.lock().unwrap().uploaded.clone()
    }

    pub fn create_sessions(&self) -> usize {
        self.inner.state.lock().unwrap().create_sessions
    }

    pub fn refresh_sessions(&self) -> usize {
        self.inner.state.lock().unwrap().refresh_sessions
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.inner.state.lock().unwrap().requests.clone()
    }

    pub fn problems(&self) -> Vec<String> {
        self.inner.problems.list()
    }

    /// Sets the figures `getPosts` shows for the post with record key `rkey`, e.g.
    /// `{"likeCount": 3, "repostCount": 1, "replyCount": 0, "quoteCount": 0}`.
    pub fn set_figures(&self, rkey: &str, figures: serde_json::Value) {
        self.inner.state.lock().unwrap().figures.set(rkey, figures);
    }

    /// Deletes the post with record key `rkey`: `getPosts` leaves it out from then on.
    pub fn delete_post(&self, rkey: &str) {
        self.inner.state.lock().unwrap().figures.delete(rkey);
    }

    /// Revokes the app password: the sessions issued stop working, none is given any more.
    pub fn revoke_app_password(&self) {
        let mut state = self.inner.state.lock().unwrap();
        state.revoked = true;
        let access = std::mem::take(&mut state.access);
        state.expired.extend(access);
        state.refresh.clear();
    }

    /// The `getPosts` requests received.
    pub fn get_posts_reads(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path() == "/xrpc/app.bsky.feed.getPosts")
            .count()
    }
}

fn xrpc_error(status: u16, error: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        serde_json::json!({"error": error, "message": message}),
    )
}

impl Inner {
    fn handle(&self, req: &FakeRequest) -> FakeResponse {
        self.state.lock().unwrap().requests.push(req.clone());
        let failure = self.failures.take(req.path());
        if let Some(response) = failure.as_ref().and_then(Failure::response) {
            return response;
        }
        let response = self.route(req);
        match failure {
            Some(Failure::Delay(delay)) => response.delayed(delay),
            Some(Failure::Drip(every)) => response.dripped(every),
            _ => response,
        }
    }

    fn session(&self, state: &mut State) -> serde_json::Value {
        let n = state.create_sessions + state.refresh_sessions;
        let access = format!("access-{n}");
        let refresh = format!("refresh-{n}");
        state.access.push(access.clone());
        state.refresh.push(refresh.clone());
        serde_json::json!({"did": self.did, "handle": self.handle,
            "accessJwt": access, "refreshJwt": refresh})
    }

    /// Checks the access token; `Err` is the answer to give.
    fn access(&self, req: &FakeRequest) -> Result<(), FakeResponse> {
        let state = self.state.lock().unwrap();
        match req.bearer() {
            Some(token) if state.access.iter().any(|t| t == token) => Ok(()),
            Some(token) if state.expired.iter().any(|t| t == token) => {
                Err(xrpc_error(400, "ExpiredToken", "Token has expired"))
            }
            Some(token) if state.refresh.iter().any(|t| t == token) => {
                self.problems
                    .add("bluesky: refresh token used as an access token");
                Err(xrpc_error(400, "InvalidToken", "Invalid token type"))
            }
            _ => Err(xrpc_error(
                401,
                "AuthenticationRequired",
                "Authentication Required",
            )),
        }
    }

    fn route(&self, req: &FakeRequest) -> FakeResponse {
        let method = req.path().strip_prefix("/xrpc/").unwrap_or("");
        match (req.method.as_str(), method) {
            ("POST", "com.atproto.server.createSession") => {
                let body = req.json().unwrap_or_default();
                let mut state = self.state.lock().unwrap();
                state.create_sessions += 1;
                if state.revoked
                    || body["identifier"] != self.handle.as_str()
                    || body["password"] != self.password.as_str()
                {
                    return xrpc_error(
                        401,
                        "AuthenticationRequired",
                        "Invalid identifier or password",
                    );
                }
                FakeResponse::json(200, self.session(&mut state))
            }
            ("POST", "com.atproto.server.refreshSession") => {
                let mut state = self.state.lock().unwrap();
                let token = req.bearer().unwrap_or("").to_owned();
                let Some(index) = state.refresh.iter().position(|t| *t == token) else {
                    return xrpc_error(400, "ExpiredToken", "Token has expired");
                };
                state.refresh.remove(index);
                state.refresh_sessions += 1;
                FakeResponse::json(200, self.session(&mut state))
            }
            ("GET", "com.atproto.server.getSession") => match self.access(req) {
                Ok(()) => FakeResponse::json(
                    200,
                    serde_json::json!({"did": self.did, "handle": self.handle}),
                ),
                Err(response) => response,
            },
            ("GET", "com.atproto.identity.resolveHandle") => {
                let handle = req.query("handle").unwrap_or_default();
                let state = self.state.lock().unwrap();
                match state.handles.get(&handle) {
                    Some(did) => FakeResponse::json(200, serde_json::json!({"did": did})),
                    None => xrpc_error(400, "InvalidRequest", "Unable to resolve handle"),
                }
            }
            ("POST", "com.atproto.repo.uploadBlob") => {
                if let Err(response) = self.access(req) {
                    return response;
                }
                let mime = req.header("content-type").unwrap_or("").to_owned();
                if !mime.starts_with("image/") {
                    self.problems
                        .add(format!("bluesky uploadBlob: content-type {mime:?}"));
                }
                if req.body.len() > 1_000_000 {
                    self.problems
                        .add("bluesky uploadBlob: over 1,000,000 bytes");
                    return xrpc_error(400, "BlobTooLarge", "too large");
                }
                let mut state = self.state.lock().unwrap();
                state.blobs += 1;
                let blob = serde_json::json!({"$type": "blob",
                    "ref": {"$link": format!("bafkreifake{}", state.blobs)},
                    "mimeType": mime, "size": req.body.len()});
                state.uploaded.push(blob.clone());
                FakeResponse::json(200, serde_json::json!({"blob": blob}))
            }
            ("GET", "com.atproto.repo.getRecord") => {
                if req.query("repo").as_deref() != Some(self.did.as_str()) {
                    self.problems.add("bluesky getRecord: repo is not the DID");
                }
                let rkey = req.query("rkey").unwrap_or_default();
                let state = self.state.lock().unwrap();
                match state.records.iter().find(|(k, _)| *k == rkey) {
                    Some((rkey, record)) => FakeResponse::json(
                        200,
                        serde_json::json!({"uri": self.uri(rkey), "cid": "bafyfake",
                            "value": record}),
                    ),
                    None => xrpc_error(400, "RecordNotFound", "Could not locate record"),
                }
            }
            ("GET", "app.bsky.feed.getPosts") => match self.access(req) {
                Ok(()) => self.get_posts(req),
                Err(response) => response,
            },
            // The PDS forwards app.bsky.* to the AppView for a signed-in account.
            ("GET", "app.bsky.feed.searchPosts") => match self.access(req) {
                Ok(()) => tags::bluesky_search(&self.search_posts, req, &self.problems),
                Err(response) => response,
            },
            ("POST", "com.atproto.repo.createRecord") => {
                if let Err(response) = self.access(req) {
                    return response;
                }
                self.create_record(req)
            }
            _ => {
                self.problems
                    .add(format!("bluesky: unexpected {} {}", req.method, req.target));
                xrpc_error(404, "MethodNotImplemented", "not implemented by the fake")
            }
        }
    }

    /// `getPosts?uris=...` (up to 25): the post views of the URIs it finds, with their
    /// counts; deleted or unknown ones are left out, as the AppView does.
    fn get_posts(&self, req: &FakeRequest) -> FakeResponse {
        let query = req.target.split_once('?').map_or("", |(_, q)| q);
        let uris: Vec<String> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter(|(name, _)| *name == "uris" || *name == "uris[]")
            .map(|(_, value)| {
                FakeRequest {
                    method: String::new(),
                    target: format!("/?u={value}"),
                    headers: Vec::new(),
                    body: Vec::new(),
                }
                .query("u")
                .unwrap_or_default()
            })
            .collect();
        if uris.is_empty() || uris.len() > 25 {
            self.problems
                .add(format!("bluesky getPosts: {} uris", uris.len()));
            return xrpc_error(400, "InvalidRequest", "uris: 1 to 25 AT URIs");
        }
        let state = self.state.lock().unwrap();
        let posts: Vec<serde_json::Value> = uris
            .iter()
            .filter_map(|uri| {
                let rkey = uri.strip_prefix(&format!("at://{}/{POST}/", self.did))?;
                if state.figures.is_deleted(rkey) || !state.records.iter().any(|(k, _)| k == rkey) {
                    return None;
                }
                let mut view = serde_json::json!({"uri": uri, "cid": "bafyfake",
                    "author": {"did": self.did, "handle": self.handle},
                    "likeCount": 0, "repostCount": 0, "replyCount": 0, "quoteCount": 0});
                state.figures.write_over(rkey, &mut view);
                Some(view)
            })
            .collect();
        FakeResponse::json(200, serde_json::json!({"posts": posts}))
    }

    fn uri(&self, rkey: &str) -> String {
        format!("at://{}/{POST}/{rkey}", self.did)
    }

    fn create_record(&self, req: &FakeRequest) -> FakeResponse {
        let Some(body) = req.json() else {
            self.problems.add("bluesky createRecord: body is not JSON");
            return xrpc_error(400, "InvalidRequest", "bad body");
        };
        if body["repo"] != self.did.as_str() {
            self.problems
                .add("bluesky createRecord: repo is not the DID");
        }
        if body["collection"] != POST {
            self.problems.add("bluesky createRecord: collection");
        }
        let record = &body["record"];
        for problem in check_post(record) {
            self.problems
                .add(format!("bluesky createRecord: {problem}"));
        }
        if record["embed"]["$type"] == "app.bsky.embed.external" {
            let uploaded = self.state.lock().unwrap().uploaded.clone();
            for problem in check_external(&record["embed"], &uploaded) {
                self.problems
                    .add(format!("bluesky createRecord: {problem}"));
            }
        }
        let text = record["text"].as_str().unwrap_or("");
        if graphemes(text) > 300 || text.len() > 3000 {
            return xrpc_error(
                400,
                "InvalidRequest",
                "Record/text must not be longer than 300 graphemes",
            );
        }
        let rkey = match body["rkey"].as_str() {
            Some(rkey) => {
                if !is_tid(rkey) {
                    self.problems
                        .add(format!("bluesky createRecord: rkey {rkey:?} is not a TID"));
                }
                rkey.to_owned()
            }
            None => format!("3fake{:08}", self.state.lock().unwrap().records.len()),
        };
        let mut state = self.state.lock().unwrap();
        if state.records.iter().any(|(k, _)| *k == rkey) {
            // A second create with the same key: the client did not check before retrying.
            self.problems
                .add(format!("bluesky createRecord: record {rkey} created twice"));
            return xrpc_error(400, "InvalidRequest", "Record already exists");
        }
        state.records.push((rkey.clone(), record.clone()));
        FakeResponse::json(
            200,
            serde_json::json!({"uri": self.uri(&rkey), "cid": "bafyfake"}),
        )
    }
}

fn is_tid(rkey: &str) -> bool {
    rkey.len() == 13
        && rkey
            .bytes()
            .all(|b| b"234567abcdefghijklmnopqrstuvwxyz".contains(&b))
        && b"234567abcdefghij".contains(&rkey.as_bytes()[0])
}

/// What a post record breaks of the lexicon and the rich-text rules.
pub fn check_post(record: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    if record["$type"] != POST {
        problems.push("record $type".to_owned());
    }
    if !record["createdAt"].is_string() {
        problems.push("no createdAt".to_owned());
    }
    let text = record["text"].as_str().unwrap_or("");
    if record["langs"].as_array().is_some_and(|l| l.len() > 3) {
        problems.push("more than 3 langs".to_owned());
    }
    if record["tags"].as_array().is_some_and(|t| t.len() > 8) {
        problems.push("more than 8 tags".to_owned());
    }
    for facet in record["facets"].as_array().into_iter().flatten() {
        let start = facet["index"]["byteStart"].as_u64().unwrap_or(u64::MAX) as usize;
        let end = facet["index"]["byteEnd"].as_u64().unwrap_or(0) as usize;
        let Some(slice) = text.get(start..end).filter(|_| start < end) else {
            problems.push(format!(
                "facet {start}..{end} is not a valid UTF-8 byte range"
            ));
            continue;
        };
        let feature = &facet["features"][0];
        let ok = match feature["$type"].as_str().unwrap_or("") {
            "app.bsky.richtext.facet#tag" => {
                feature["tag"].as_str().map(|t| format!("#{t}")).as_deref() == Some(slice)
            }
            "app.bsky.richtext.facet#link" => feature["uri"].as_str() == Some(slice),
            "app.bsky.richtext.facet#mention" => {
                slice.starts_with('@')
                    && feature["did"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("did:"))
            }
            other => {
                problems.push(format!("unknown facet feature {other}"));
                continue;
            }
        };
        if !ok {
            problems.push(format!(
                "facet {start}..{end} ({slice:?}) does not match {feature}"
            ));
        }
    }
    if let Some(embed) = record.get("embed") {
        let kind = embed["$type"].as_str().unwrap_or("");
        if !matches!(kind, "app.bsky.embed.images" | "app.bsky.embed.external") {
            problems.push(format!("unknown embed $type {kind:?}"));
        }
        for image in embed["images"].as_array().into_iter().flatten() {
            if image["alt"].as_str().is_none_or(|a| a.trim().is_empty()) {
                problems.push("image without alt text".to_owned());
            }
        }
        if embed["images"].as_array().is_some_and(|i| i.len() > 4) {
            problems.push("more than 4 images".to_owned());
        }
    }
    problems
}

/// What a link card embed breaks of `app.bsky.embed.external`: `external` with an absolute
/// `uri`, `title` and `description` strings, and a `thumb`, when there is one, that is one of
/// the `uploaded` blob references (its `ref`, `mimeType` and `size` unchanged), an image of at
/// most 1,000,000 bytes.
pub fn check_external(embed: &serde_json::Value, uploaded: &[serde_json::Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let external = &embed["external"];
    if !external.is_object() {
        return vec!["external embed without `external`".to_owned()];
    }
    let uri = external["uri"].as_str().unwrap_or("");
    if !(uri.starts_with("https://") || uri.starts_with("http://"))
        || uri.contains(char::is_whitespace)
    {
        problems.push(format!("external uri {uri:?} is not an absolute URL"));
    }
    for field in ["title", "description"] {
        if !external[field].is_string() {
            problems.push(format!("external {field} is not a string"));
        }
    }
    if let Some(thumb) = external.get("thumb") {
        if !uploaded.contains(thumb) {
            problems.push(format!(
                "external thumb {thumb} is not a blob uploaded before"
            ));
        }
        if !thumb["mimeType"]
            .as_str()
            .is_some_and(|m| m.starts_with("image/"))
        {
            problems.push("external thumb is not an image".to_owned());
        }
        if thumb["size"].as_u64().is_none_or(|size| size > 1_000_000) {
            problems.push("external thumb over 1,000,000 bytes".to_owned());
        }
    }
    problems
}
