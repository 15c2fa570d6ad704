//! A fake of Meta's Graph API for a Facebook Page and its linked Instagram professional
//! account, on loopback, under a version path (`http://127.0.0.1:port/v21.0`), with the
//! protocol facts Kiosque relies on checked as Meta does:
//!
//! - the Page access token comes as the `access_token` parameter (form body of a `POST`,
//!   multipart field of a photo upload, query of a `GET`); a wrong one answers Graph's
//!   `{"error": {"code": 190, "type": "OAuthException", ...}}`;
//! - Facebook: `POST /{page-id}/photos` takes the image as the multipart `source` with
//!   `published=false`; `POST /{page-id}/feed` takes `message`, `link`, `attached_media[i]` =
//!   `{"media_fbid": id}` of such unpublished photos, each attached once;
//! - Instagram: `POST /{ig-user-id}/media` with `image_url` downloads the image *from that
//!   address* (here: through the library's public origin) and checks it is a JPEG without an
//!   APP1 (EXIF/XMP) segment, between 4:5 and 1.91:1; `caption` at most 2,200 characters and
//!   30 hashtags; `is_carousel_item=true` items gathered by a `media_type=CAROUSEL`
//!   container (2 to 10 `children`, each `FINISHED`); containers are `IN_PROGRESS` for the
//!   first polls of `GET /{container-id}?fields=status_code`, then `FINISHED`;
//!   `media_publish` refuses a container that is not `FINISHED` and one already published
//!   (it is `PUBLISHED` then);
//! - failures on demand ([`GraphFailure`]): an expired token (code 190), a lost answer
//!   (the work is done, then 500), a plain 500.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Problems;
use super::server::{FakeRequest, FakeResponse, FakeServer};

/// The version path the fake answers under, as Graph's base URL carries one.
pub const GRAPH_VERSION: &str = "/v21.0";

/// A failure for the next request whose path contains a fragment.
#[derive(Debug, Clone)]
pub enum GraphFailure {
    /// `{"error": {"code": 190, "type": "OAuthException"}}`: the token expired.
    ExpiredToken,
    /// Does the work, then answers 500: the caller cannot know it was done.
    LoseAnswer,
    /// 500 without doing anything.
    ServerError,
}

/// An image Meta downloaded from an `image_url`.
#[derive(Debug, Clone)]
pub struct FetchedImage {
    pub url: String,
    pub bytes: Vec<u8>,
}

/// A Facebook Page post.
#[derive(Debug, Clone)]
pub struct PagePost {
    pub id: String,
    pub message: String,
    pub link: Option<String>,
    /// Ids of the photos attached.
    pub photos: Vec<String>,
    /// Unix seconds, on the machine's clock (Meta's, not the app's).
    pub created: i64,
}

/// An unpublished photo uploaded to the Page.
#[derive(Debug, Clone)]
pub struct PagePhoto {
    pub id: String,
    pub bytes: Vec<u8>,
    pub alt: String,
    pub attached: bool,
}

/// An Instagram media container.
#[derive(Debug, Clone)]
pub struct Container {
    pub id: String,
    pub image_url: Option<String>,
    pub alt_text: Option<String>,
    pub caption: Option<String>,
    pub carousel_item: bool,
    pub children: Vec<String>,
    polls: usize,
    pub published: bool,
}

/// An Instagram post.
#[derive(Debug, Clone)]
pub struct InstagramMedia {
    pub id: String,
    pub container: String,
    pub caption: String,
    /// `IMAGE` or `CAROUSEL_ALBUM`.
    pub media_type: String,
}

#[derive(Default)]
struct State {
    next_id: u64,
    photos: Vec<PagePhoto>,
    posts: Vec<PagePost>,
    containers: Vec<Container>,
    media: Vec<InstagramMedia>,
    fetched: Vec<FetchedImage>,
    requests: Vec<FakeRequest>,
    failures: VecDeque<(String, GraphFailure)>,
    /// Figures a test set per Page post or Instagram media id (see [`FakeMeta::set_figures`]);
    /// posts and media deleted by a test: Graph's code 100, subcode 33 from then on.
    figures: super::PostFigures,
    /// The Page access token was revoked: every call answers code 190.
    revoked: bool,
}

struct Inner {
    token: String,
    page_id: String,
    ig_user_id: String,
    polls_until_finished: Mutex<usize>,
    state: Mutex<State>,
    problems: Problems,
    fetcher: reqwest::blocking::Client,
}

pub struct FakeMeta {
    inner: Arc<Inner>,
    server: FakeServer,
}

impl FakeMeta {
    /// A Graph API that accepts `token` for the Page `page_id` and the Instagram account
    /// `ig_user_id`. Containers need 1 poll in `IN_PROGRESS` before `FINISHED`.
    pub fn start(token: &str, page_id: &str, ig_user_id: &str) -> Self {
        let inner = Arc::new(Inner {
            token: token.to_owned(),
            page_id: page_id.to_owned(),
            ig_user_id: ig_user_id.to_owned(),
            polls_until_finished: Mutex::new(1),
            state: Mutex::default(),
            problems: Problems::default(),
            fetcher: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        });
        let handler = inner.clone();
        let server = FakeServer::start(move |req| handler.handle(req));
        FakeMeta { inner, server }
    }

    /// The Graph base URL a channel is created with: `http://127.0.0.1:port/v21.0`.
    pub fn url(&self) -> String {
        format!("{}{GRAPH_VERSION}", self.server.url())
    }

    /// How many `status_code` polls a new container answers `IN_PROGRESS` before `FINISHED`.
    pub fn set_polls_until_finished(&self, polls: usize) {
        *self.inner.polls_until_finished.lock().unwrap() = polls;
    }

    pub fn fail_next(&self, path_part: &str, failure: GraphFailure) {
        self.inner
            .state
            .lock()
            .unwrap()
            .failures
            .push_back((path_part.to_owned(), failure));
    }

    pub fn page_posts(&self) -> Vec<PagePost> {
        self.inner.state.lock().unwrap().posts.clone()
    }

    pub fn page_photos(&self) -> Vec<PagePhoto> {
        self.inner.state.lock().unwrap().photos.clone()
    }

    pub fn containers(&self) -> Vec<Container> {
        self.inner.state.lock().unwrap().containers.clone()
    }

    pub fn instagram_media(&self) -> Vec<InstagramMedia> {
        self.inner.state.lock().unwrap().media.clone()
    }

    /// The images downloaded from `image_url`s, in order.
    pub fn fetched_images(&self) -> Vec<FetchedImage> {
        self.inner.state.lock().unwrap().fetched.clone()
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.inner.state.lock().unwrap().requests.clone()
    }

    /// What broke the platform's rules; empty when all was right.
    pub fn problems(&self) -> Vec<String> {
        self.inner.problems.list()
    }

    /// Sets the figures of a Page post or an Instagram media, flat: for a Page post
    /// `reactions`, `comments`, `shares` (fields) and `post_total_media_view_unique`
    /// (insights); for a media `like_count`, `comments_count` (fields) and `reach`, `views`,
    /// `shares`, `saved` (insights). Unset ones are 0.
    pub fn set_figures(&self, id: &str, figures: serde_json::Value) {
        self.inner.state.lock().unwrap().figures.set(id, figures);
    }

    /// Deletes a Page post or an Instagram media.
    pub fn delete_object(&self, id: &str) {
        self.inner.state.lock().unwrap().figures.delete(id);
    }

    /// Revokes the Page access token: code 190 from then on.
    pub fn revoke_token(&self) {
        self.inner.state.lock().unwrap().revoked = true;
    }

    /// The figure reads (fields and insights) of the post or media `id`.
    pub fn figure_reads(&self, id: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| {
                r.method == "GET"
                    && (r.path().ends_with(&format!("/{id}"))
                        || r.path().ends_with(&format!("/{id}/insights")))
                    && !r.target.contains("status_code")
            })
            .count()
    }
}

/// Graph's error body.
fn graph_error(status: u16, code: u32, kind: &str, message: &str) -> FakeResponse {
    FakeResponse::json(
        status,
        serde_json::json!({"error": {"message": message, "type": kind, "code": code,
            "fbtrace_id": "Fake"}}),
    )
}

/// Graph's `fields`, split at top-level commas (a field's own `.summary(a,b)` stays whole).
fn split_fields(fields: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in fields.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn invalid(message: &str) -> FakeResponse {
    graph_error(400, 100, "OAuthException", message)
}

/// `application/x-www-form-urlencoded` pairs, decoded.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parts of a `multipart/form-data` body: `(name, content type, bytes)`.
fn multipart_parts(content_type: &str, body: &[u8]) -> Option<Vec<(String, String, Vec<u8>)>> {
    let boundary = content_type.split("boundary=").nth(1)?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(rest, delimiter.as_bytes())?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]).to_ascii_lowercase();
        rest = &rest[head_end + 4..];
        let end = find(rest, format!("\r\n{delimiter}").as_bytes())?;
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|n| n.split('"').next())
            .unwrap_or("")
            .to_owned();
        let content_type = head
            .lines()
            .find_map(|l| l.strip_prefix("content-type:"))
            .map(|t| t.trim().to_owned())
            .unwrap_or_default();
        parts.push((name, content_type, rest[..end].to_vec()));
        rest = &rest[end + 2 + delimiter.len()..];
    }
    Some(parts)
}

/// The markers of a JPEG's segments before its scan, or why it is not a JPEG.
pub fn jpeg_markers(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if !bytes.starts_with(b"\xFF\xD8") {
        return Err("not a JPEG (no SOI)".into());
    }
    let mut markers = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Err(format!("no marker at byte {at}"));
        }
        let marker = bytes[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            return Ok(markers);
        }
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        at += 2 + len;
    }
    Err("a JPEG without a scan".into())
}

/// Width and height from a JPEG's frame header (SOF0/SOF2).
fn jpeg_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2;
    while at + 9 <= bytes.len() {
        let marker = bytes[at + 1];
        let len = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if matches!(marker, 0xC0..=0xC2) {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            return Some((u32::from(width), u32::from(height)));
        }
        at += 2 + len;
    }
    None
}

/// Hashtags as Instagram counts them: `#` then letters, digits or `_`.
fn hashtag_count(text: &str) -> usize {
    text.split(|c: char| c.is_whitespace())
        .filter(|word| {
            word.strip_prefix('#').is_some_and(|tag| {
                tag.chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
            })
        })
        .count()
}

impl Inner {
    fn handle(&self, req: &FakeRequest) -> FakeResponse {
        let failure = {
            let mut state = self.state.lock().unwrap();
            state.requests.push(req.clone());
            let index = state
                .failures
                .iter()
                .position(|(part, _)| req.path().contains(part.as_str()));
            index.and_then(|i| state.failures.remove(i)).map(|(_, f)| f)
        };
        match failure {
            Some(GraphFailure::ExpiredToken) => graph_error(
                400,
                190,
                "OAuthException",
                "Error validating access token: Session has expired.",
            ),
            Some(GraphFailure::ServerError) => {
                graph_error(500, 2, "OAuthException", "Service temporarily unavailable")
            }
            Some(GraphFailure::LoseAnswer) => {
                let _done = self.route(req);
                graph_error(500, 1, "OAuthException", "An unknown error has occurred.")
            }
            None => self.route(req),
        }
    }

    fn route(&self, req: &FakeRequest) -> FakeResponse {
        let Some(path) = req.path().strip_prefix(GRAPH_VERSION) else {
            self.problems
                .add(format!("graph: no version in the path {}", req.path()));
            return invalid("Unknown path components");
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let (params, parts) = match self.parameters(req) {
            Ok(found) => found,
            Err(response) => return response,
        };
        if req.bearer().is_some() {
            self.problems
                .add("graph: token sent as a bearer header; Kiosque sends access_token");
        }
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        if param("access_token").as_deref() != Some(self.token.as_str())
            || self.state.lock().unwrap().revoked
        {
            return graph_error(
                400,
                190,
                "OAuthException",
                "Invalid OAuth access token - Cannot parse access token",
            );
        }
        if let [node, ..] = segments.as_slice()
            && self.state.lock().unwrap().figures.is_deleted(node)
        {
            return FakeResponse::json(
                400,
                serde_json::json!({"error": {"message": format!(
                    "Unsupported get request. Object with ID '{node}' does not exist, cannot be \
                     loaded due to missing permissions, or does not support this operation."),
                    "type": "GraphMethodException", "code": 100, "error_subcode": 33,
                    "fbtrace_id": "Fake"}}),
            );
        }
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", [node])
                if self.is_published(node)
                    && param("fields")
                        .is_some_and(|f| f.contains("like_count") || f.contains("reactions")) =>
            {
                self.figures(node, &param("fields").unwrap_or_default())
            }
            ("GET", [node, "insights"]) if self.is_published(node) => {
                self.insights(node, &param("metric").unwrap_or_default())
            }
            ("GET", [node]) => self.read_node(node, param("fields").unwrap_or_default()),
            ("POST", [page, "photos"]) if *page == self.page_id => self.upload_photo(&parts),
            ("POST", [page, "feed"]) if *page == self.page_id => self.page_post(&params),
            ("GET", [page, "feed"]) if *page == self.page_id => self.page_feed(),
            ("POST", [user, "media"]) if *user == self.ig_user_id => self.create_container(&param),
            ("GET", [user, "media"]) if *user == self.ig_user_id => self.instagram_list(),
            ("POST", [user, "media_publish"]) if *user == self.ig_user_id => {
                self.media_publish(param("creation_id").unwrap_or_default())
            }
            _ => {
                self.problems
                    .add(format!("graph: unexpected {} {}", req.method, req.target));
                invalid("Unsupported request")
            }
        }
    }

    /// Every parameter (query, form body or multipart text fields) and the multipart parts.
    #[allow(clippy::type_complexity)]
    fn parameters(
        &self,
        req: &FakeRequest,
    ) -> Result<(Vec<(String, String)>, Vec<(String, String, Vec<u8>)>), FakeResponse> {
        let mut params = req
            .target
            .split_once('?')
            .map(|(_, q)| form_pairs(q))
            .unwrap_or_default();
        let content_type = req.header("content-type").unwrap_or("").to_owned();
        let mut parts = Vec::new();
        if req.method == "POST" {
            if content_type.starts_with("application/x-www-form-urlencoded") {
                params.extend(form_pairs(&String::from_utf8_lossy(&req.body)));
            } else if content_type.starts_with("multipart/form-data") {
                let Some(found) = multipart_parts(&content_type, &req.body) else {
                    self.problems.add("graph: unreadable multipart body");
                    return Err(invalid("unreadable multipart body"));
                };
                for (name, kind, bytes) in &found {
                    if kind.is_empty() {
                        params.push((name.clone(), String::from_utf8_lossy(bytes).into_owned()));
                    }
                }
                parts = found;
            } else {
                self.problems
                    .add(format!("graph: POST with content-type {content_type:?}"));
                return Err(invalid("unsupported body"));
            }
        }
        Ok((params, parts))
    }

    /// Whether `id` is a Page post or an Instagram media.
    fn is_published(&self, id: &str) -> bool {
        let state = self.state.lock().unwrap();
        state.posts.iter().any(|p| p.id == id) || state.media.iter().any(|m| m.id == id)
    }

    fn figure(&self, id: &str, name: &str) -> u64 {
        self.state.lock().unwrap().figures.figure(id, name)
    }

    /// A post's or media's fields: Facebook's `reactions.summary(total_count).limit(0)`,
    /// `comments.summary(total_count).limit(0)` and `shares` (absent when none, as Graph
    /// does); Instagram's `like_count` and `comments_count`.
    fn figures(&self, id: &str, fields: &str) -> FakeResponse {
        let instagram = self.state.lock().unwrap().media.iter().any(|m| m.id == id);
        let mut answer = serde_json::json!({"id": id});
        for field in split_fields(fields) {
            match (instagram, field.as_str()) {
                (true, "like_count" | "comments_count") => {
                    answer[field.as_str()] = self.figure(id, &field).into();
                }
                (false, "reactions.summary(total_count).limit(0)")
                | (false, "comments.summary(total_count).limit(0)") => {
                    let name = field.split('.').next().unwrap_or_default();
                    answer[name] = serde_json::json!({"data": [],
                        "summary": {"total_count": self.figure(id, name)}});
                }
                (false, "shares") => {
                    let shares = self.figure(id, "shares");
                    if shares > 0 {
                        answer["shares"] = serde_json::json!({"count": shares});
                    }
                }
                _ => {
                    self.problems
                        .add(format!("graph: figures of {id}: unknown field {field:?}"));
                    return invalid(&format!(
                        "(#100) Tried accessing nonexisting field ({field})"
                    ));
                }
            }
        }
        FakeResponse::json(200, answer)
    }

    /// Insights of a post or media, refusing the metrics Meta retired in 2025
    /// (`post_impressions*`, Instagram's `impressions`).
    fn insights(&self, id: &str, metrics: &str) -> FakeResponse {
        let instagram = self.state.lock().unwrap().media.iter().any(|m| m.id == id);
        let known: &[&str] = if instagram {
            &[
                "reach",
                "views",
                "shares",
                "saved",
                "likes",
                "comments",
                "total_interactions",
            ]
        } else {
            &[
                "post_total_media_view_unique",
                "post_media_view",
                "post_clicks",
            ]
        };
        let mut data = Vec::new();
        for metric in metrics.split(',').filter(|m| !m.is_empty()) {
            if !known.contains(&metric) {
                self.problems
                    .add(format!("graph: insights of {id}: metric {metric:?}"));
                return invalid(&format!(
                    "(#100) metric[0] must be one of the following values: {}",
                    known.join(", ")
                ));
            }
            data.push(serde_json::json!({"name": metric, "period": "lifetime",
                "values": [{"value": self.figure(id, metric)}],
                "id": format!("{id}/insights/{metric}/lifetime")}));
        }
        if data.is_empty() {
            return graph_error(400, 3001, "OAuthException", "No metric was specified");
        }
        FakeResponse::json(200, serde_json::json!({"data": data}))
    }

    fn next_id(&self, state: &mut State) -> String {
        state.next_id += 1;
        format!("{}", 17_900_000_000_000 + state.next_id)
    }

    fn read_node(&self, node: &str, fields: String) -> FakeResponse {
        let mut state = self.state.lock().unwrap();
        if node == self.page_id {
            return FakeResponse::json(
                200,
                serde_json::json!({"id": node, "name": "Médiathèque de Lisieux"}),
            );
        }
        if node == self.ig_user_id {
            return FakeResponse::json(
                200,
                serde_json::json!({"id": node, "username": "mediatheque.lisieux"}),
            );
        }
        let polls_needed = *self.polls_until_finished.lock().unwrap();
        if let Some(container) = state.containers.iter_mut().find(|c| c.id == node) {
            if fields != "status_code" {
                self.problems
                    .add(format!("graph: container read with fields {fields:?}"));
            }
            let status = if container.published {
                "PUBLISHED"
            } else if container.polls < polls_needed {
                container.polls += 1;
                "IN_PROGRESS"
            } else {
                "FINISHED"
            };
            return FakeResponse::json(200, serde_json::json!({"id": node, "status_code": status}));
        }
        if state.media.iter().any(|m| m.id == node) {
            return FakeResponse::json(
                200,
                serde_json::json!({"id": node,
                    "permalink": format!("https://www.instagram.com/p/{node}/")}),
            );
        }
        graph_error(
            400,
            100,
            "GraphMethodException",
            "Unsupported get request. Object does not exist",
        )
    }

    fn upload_photo(&self, parts: &[(String, String, Vec<u8>)]) -> FakeResponse {
        let field = |name: &str| parts.iter().find(|(n, _, _)| n == name);
        if field("published").map(|(_, _, v)| v.as_slice()) != Some(b"false") {
            self.problems
                .add("facebook photos: not uploaded with published=false");
        }
        let Some((_, kind, bytes)) = field("source") else {
            self.problems.add("facebook photos: no `source` part");
            return invalid("(#324) Requires upload file");
        };
        if !kind.starts_with("image/") {
            self.problems
                .add(format!("facebook photos: source of type {kind:?}"));
        }
        if let Err(problem) = self.check_image(bytes) {
            self.problems.add(format!("facebook photos: {problem}"));
        }
        let alt = field("alt_text_custom")
            .map(|(_, _, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        if alt.trim().is_empty() {
            self.problems.add("facebook photos: no alt text");
        }
        let mut state = self.state.lock().unwrap();
        let id = self.next_id(&mut state);
        state.photos.push(PagePhoto {
            id: id.clone(),
            bytes: bytes.clone(),
            alt,
            attached: false,
        });
        FakeResponse::json(200, serde_json::json!({"id": id}))
    }

    fn page_post(&self, params: &[(String, String)]) -> FakeResponse {
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let message = param("message").unwrap_or_default();
        let mut state = self.state.lock().unwrap();
        let mut photos = Vec::new();
        for i in 0.. {
            let Some(value) = param(&format!("attached_media[{i}]")) else {
                break;
            };
            let id = serde_json::from_str::<serde_json::Value>(&value)
                .ok()
                .and_then(|v| v["media_fbid"].as_str().map(str::to_owned));
            let Some(id) = id else {
                self.problems
                    .add(format!("facebook feed: attached_media[{i}] = {value:?}"));
                return invalid("(#100) attached_media must be {\"media_fbid\": ...}");
            };
            match state.photos.iter_mut().find(|p| p.id == id) {
                Some(photo) if !photo.attached => photo.attached = true,
                Some(_) => {
                    self.problems
                        .add(format!("facebook feed: photo {id} attached twice"));
                    return invalid("(#100) the photo is already attached to a post");
                }
                None => {
                    self.problems
                        .add(format!("facebook feed: unknown photo {id}"));
                    return invalid("(#100) unknown media_fbid");
                }
            }
            photos.push(id);
        }
        if photos.len() > 10 {
            self.problems.add("facebook feed: more than 10 photos");
        }
        if message.trim().is_empty() && photos.is_empty() {
            return invalid("(#100) message or attachment required");
        }
        if message.chars().count() > 63_206 {
            return invalid("(#100) message too long");
        }
        let id = format!("{}_{}", self.page_id, self.next_id(&mut state));
        state.posts.push(PagePost {
            id: id.clone(),
            message,
            link: param("link"),
            photos,
            created: crate::time::unix_now(),
        });
        FakeResponse::json(200, serde_json::json!({"id": id}))
    }

    fn page_feed(&self) -> FakeResponse {
        let state = self.state.lock().unwrap();
        let data: Vec<serde_json::Value> = state
            .posts
            .iter()
            .rev()
            .map(|p| {
                let created = chrono::DateTime::from_timestamp(p.created, 0)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%S+0000")
                    .to_string();
                serde_json::json!({"id": p.id, "message": p.message, "created_time": created})
            })
            .collect();
        FakeResponse::json(200, serde_json::json!({"data": data}))
    }

    fn check_caption(&self, caption: &str) -> Result<(), FakeResponse> {
        if caption.chars().count() > 2_200 {
            self.problems
                .add("instagram: caption over 2,200 characters");
            return Err(graph_error(
                400,
                100,
                "OAuthException",
                "The caption is too long",
            ));
        }
        if hashtag_count(caption) > 30 {
            self.problems.add("instagram: more than 30 hashtags");
            return Err(graph_error(
                400,
                100,
                "OAuthException",
                "The caption has more than 30 hashtags",
            ));
        }
        Ok(())
    }

    fn check_image(&self, bytes: &[u8]) -> Result<(), String> {
        let markers = jpeg_markers(bytes)?;
        if markers.contains(&0xE1) {
            return Err("the JPEG carries an APP1 (EXIF/XMP) segment".into());
        }
        Ok(())
    }

    fn create_container(&self, param: &dyn Fn(&str) -> Option<String>) -> FakeResponse {
        let caption = param("caption");
        if let Some(caption) = &caption
            && let Err(response) = self.check_caption(caption)
        {
            return response;
        }
        if param("media_type").as_deref() == Some("CAROUSEL") {
            let children: Vec<String> = param("children")
                .unwrap_or_default()
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect();
            if !(2..=10).contains(&children.len()) {
                self.problems
                    .add(format!("instagram carousel: {} children", children.len()));
                return invalid("a carousel has 2 to 10 children");
            }
            let polls_needed = *self.polls_until_finished.lock().unwrap();
            let mut state = self.state.lock().unwrap();
            for child in &children {
                let ok = state
                    .containers
                    .iter()
                    .find(|c| &c.id == child)
                    .is_some_and(|c| c.carousel_item && c.polls >= polls_needed && !c.published);
                if !ok {
                    self.problems.add(format!(
                        "instagram carousel: child {child} unknown, not an item or not FINISHED"
                    ));
                    return invalid("a child container is not ready");
                }
            }
            let id = self.next_id(&mut state);
            state.containers.push(Container {
                id: id.clone(),
                image_url: None,
                alt_text: None,
                caption,
                carousel_item: false,
                children,
                polls: 0,
                published: false,
            });
            return FakeResponse::json(200, serde_json::json!({"id": id}));
        }
        let carousel_item = param("is_carousel_item").as_deref() == Some("true");
        if carousel_item && caption.is_some() {
            self.problems
                .add("instagram: a carousel item with a caption");
        }
        let Some(image_url) = param("image_url") else {
            self.problems.add("instagram media: no image_url");
            return invalid("image_url is required");
        };
        if param("alt_text").is_none_or(|a| a.trim().is_empty()) {
            self.problems.add("instagram media: no alt_text");
        }
        // What Meta does: download the image from its public address.
        let fetched = self
            .fetcher
            .get(&image_url)
            .send()
            .ok()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.bytes().ok());
        let Some(bytes) = fetched else {
            self.problems
                .add(format!("instagram media: could not download {image_url}"));
            return graph_error(
                400,
                9004,
                "OAuthException",
                "The media could not be fetched from this uri",
            );
        };
        if let Err(problem) = self.check_image(&bytes) {
            self.problems.add(format!("instagram media: {problem}"));
            return graph_error(400, 9004, "OAuthException", "Only photo is supported");
        }
        if let Some((width, height)) = jpeg_dimensions(&bytes) {
            let (w, h) = (u64::from(width), u64::from(height));
            if w * 5 < h * 4 || w * 100 > h * 191 {
                self.problems.add(format!(
                    "instagram media: {width} x {height} out of 4:5..1.91:1"
                ));
                return graph_error(
                    400,
                    36003,
                    "OAuthException",
                    "The aspect ratio is not supported.",
                );
            }
        }
        let mut state = self.state.lock().unwrap();
        state.fetched.push(FetchedImage {
            url: image_url.clone(),
            bytes: bytes.to_vec(),
        });
        let id = self.next_id(&mut state);
        state.containers.push(Container {
            id: id.clone(),
            image_url: Some(image_url),
            alt_text: param("alt_text"),
            caption,
            carousel_item,
            children: Vec::new(),
            polls: 0,
            published: false,
        });
        FakeResponse::json(200, serde_json::json!({"id": id}))
    }

    fn media_publish(&self, creation_id: String) -> FakeResponse {
        let polls_needed = *self.polls_until_finished.lock().unwrap();
        let mut state = self.state.lock().unwrap();
        let Some(container) = state
            .containers
            .iter()
            .find(|c| c.id == creation_id)
            .cloned()
        else {
            self.problems.add(format!(
                "instagram publish: unknown container {creation_id:?}"
            ));
            return graph_error(400, 9007, "OAuthException", "Media ID is not available");
        };
        if container.carousel_item {
            self.problems
                .add("instagram publish: a carousel item published alone");
            return invalid("a carousel item cannot be published alone");
        }
        if container.published {
            self.problems.add(format!(
                "instagram publish: container {creation_id} published twice"
            ));
            return graph_error(
                400,
                9007,
                "OAuthException",
                "The media has already been published",
            );
        }
        if container.polls < polls_needed {
            self.problems.add(format!(
                "instagram publish: container {creation_id} not FINISHED"
            ));
            return graph_error(
                400,
                9007,
                "OAuthException",
                "Media ID is not available: the media is not ready for publishing",
            );
        }
        let id = self.next_id(&mut state);
        if let Some(c) = state.containers.iter_mut().find(|c| c.id == creation_id) {
            c.published = true;
        }
        let media_type = if container.children.is_empty() {
            "IMAGE"
        } else {
            "CAROUSEL_ALBUM"
        };
        state.media.push(InstagramMedia {
            id: id.clone(),
            container: creation_id,
            caption: container.caption.unwrap_or_default(),
            media_type: media_type.to_owned(),
        });
        FakeResponse::json(200, serde_json::json!({"id": id}))
    }

    fn instagram_list(&self) -> FakeResponse {
        let state = self.state.lock().unwrap();
        let data: Vec<serde_json::Value> = state
            .media
            .iter()
            .rev()
            .map(|m| {
                serde_json::json!({"id": m.id, "caption": m.caption,
                    "permalink": format!("https://www.instagram.com/p/{}/", m.id)})
            })
            .collect();
        FakeResponse::json(200, serde_json::json!({"data": data}))
    }
}

/// The library's public origin in front of the app under test, as a CDN or a reverse proxy
/// would be: `GET` requests are forwarded to the app once its address is known, so
/// `public_base_url` can be set before the app starts (its port is chosen then).
pub struct PublicOrigin {
    target: Arc<Mutex<Option<String>>>,
    server: FakeServer,
}

impl PublicOrigin {
    pub fn start() -> Self {
        let target: Arc<Mutex<Option<String>>> = Arc::default();
        let forward_to = target.clone();
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let server = FakeServer::start(move |req| {
            let Some(base) = forward_to.lock().unwrap().clone() else {
                return FakeResponse::empty(503);
            };
            if req.method != "GET" {
                return FakeResponse::empty(405);
            }
            match client.get(format!("{base}{}", req.target)).send() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let content_type = response
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/octet-stream")
                        .to_owned();
                    let body = response.bytes().map(|b| b.to_vec()).unwrap_or_default();
                    let mut answer =
                        FakeResponse::empty(status).with_header("content-type", &content_type);
                    answer.body = body;
                    answer
                }
                Err(_) => FakeResponse::empty(502),
            }
        });
        PublicOrigin { target, server }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Where requests go from now on: the app's base URL.
    pub fn forward_to(&self, base_url: &str) {
        *self.target.lock().unwrap() = Some(base_url.trim_end_matches('/').to_owned());
    }
}
