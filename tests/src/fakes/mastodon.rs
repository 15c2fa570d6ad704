//! A fake Mastodon server: `verify_credentials`, `/api/v2/instance`, `/api/v2/media` and
//! `/api/v1/statuses`, with `Idempotency-Key` remembered as a real server does (a retried
//! post returns the first status instead of posting again).

use std::sync::{Arc, Mutex};

use super::server::{Failure, FakeRequest, FakeResponse, FakeServer};
use super::tags::{self, TagPosts};
use super::{Failures, Problems, graphemes};

/// A status the fake holds.
#[derive(Debug, Clone)]
pub struct FakeStatus {
    pub id: String,
    pub idempotency_key: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct State {
    statuses: Vec<FakeStatus>,
    media: Vec<(String, String)>,
    requests: Vec<FakeRequest>,
    /// Figures a test set per status id (`favourites_count`, ...), shown by
    /// `GET /api/v1/statuses/:id`; statuses deleted by a test: 404 from then on.
    figures: super::PostFigures,
    /// The token was revoked by a test: every authenticated call answers 401.
    revoked: bool,
}

/// The scopes a token made as the README says has.
pub const DOCUMENTED_SCOPES: [&str; 4] = [
    "write:statuses",
    "write:media",
    "read:accounts",
    "read:statuses",
];

struct Inner {
    token: String,
    /// The token's scopes: an endpoint needing another answers 403, as Mastodon does.
    scopes: Vec<String>,
    max_characters: usize,
    state: Mutex<State>,
    problems: Problems,
    failures: Failures,
    tag_statuses: TagPosts,
}

pub struct FakeMastodon {
    inner: Arc<Inner>,
    server: FakeServer,
}

impl FakeMastodon {
    /// A server that accepts `token`, with the scopes the README asks for
    /// ([`DOCUMENTED_SCOPES`]), and allows `max_characters` per status.
    pub fn start(token: &str, max_characters: usize) -> Self {
        Self::start_with_scopes(token, &DOCUMENTED_SCOPES, max_characters)
    }

    /// A server whose `token` has only `scopes` (e.g. a token made for publishing alone).
    pub fn start_with_scopes(token: &str, scopes: &[&str], max_characters: usize) -> Self {
        let inner = Arc::new(Inner {
            token: token.to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            max_characters,
            state: Mutex::default(),
            problems: Problems::default(),
            failures: Failures::default(),
            tag_statuses: TagPosts::default(),
        });
        let handler = inner.clone();
        let server = FakeServer::start(move |req| handler.handle(req));
        FakeMastodon { inner, server }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Makes the next request whose path contains `path_part` fail.
    pub fn fail_next(&self, path_part: &str, failure: Failure) {
        self.inner.failures.push(path_part, failure);
    }

    /// Shows a status (see [`tags::mastodon_status`]) on the tag timelines of its `tags`.
    pub fn add_tag_status(&self, status: serde_json::Value) {
        self.inner.tag_statuses.add(status);
    }

    /// The statuses posted, each once whatever the retries.
    pub fn statuses(&self) -> Vec<FakeStatus> {
        self.inner.state.lock().unwrap().statuses.clone()
    }

    /// `(id, description)` of the media uploaded.
    pub fn media(&self) -> Vec<(String, String)> {
        self.inner.state.lock().unwrap().media.clone()
    }

    pub fn requests(&self) -> Vec<FakeRequest> {
        self.inner.state.lock().unwrap().requests.clone()
    }

    /// What broke the platform's rules; empty when all was right.
    pub fn problems(&self) -> Vec<String> {
        self.inner.problems.list()
    }

    /// Sets the figures `GET /api/v1/statuses/:id` shows for status `id`, e.g.
    /// `{"favourites_count": 3, "reblogs_count": 1, "replies_count": 0, "quotes_count": 0}`.
    pub fn set_figures(&self, id: &str, figures: serde_json::Value) {
        self.inner.state.lock().unwrap().figures.set(id, figures);
    }

    /// Deletes status `id`, as its author would: 404 from then on.
    pub fn delete_status(&self, id: &str) {
        self.inner.state.lock().unwrap().figures.delete(id);
    }

    /// Revokes the access token: every authenticated call answers 401 from then on.
    pub fn revoke_token(&self) {
        self.inner.state.lock().unwrap().revoked = true;
    }

    /// The `GET /api/v1/statuses/:id` requests received.
    pub fn status_reads(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path().starts_with("/api/v1/statuses/"))
            .count()
    }
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

    fn authorised(&self, req: &FakeRequest) -> bool {
        req.bearer() == Some(self.token.as_str()) && !self.state.lock().unwrap().revoked
    }

    /// The 403 Mastodon answers a valid token lacking `scope` (its Doorkeeper check), or
    /// `None` when the token has it (or a broader `read` / `write`).
    fn missing_scope(&self, scope: &str) -> Option<FakeResponse> {
        let broad = scope.split(':').next().unwrap_or(scope);
        let granted = self.scopes.iter().any(|s| s == scope || s == broad);
        (!granted).then(|| {
            FakeResponse::json(
                403,
                serde_json::json!({"error": "This action is outside the authorized scopes"}),
            )
        })
    }

    fn route(&self, req: &FakeRequest) -> FakeResponse {
        let unauthorised = || {
            FakeResponse::json(
                401,
                serde_json::json!({"error": "The access token is invalid"}),
            )
        };
        // Only an accepted token reaches the scope check, as on Mastodon (401 comes first).
        let scope = match (req.method.as_str(), req.path()) {
            ("GET", "/api/v1/accounts/verify_credentials") => Some("read:accounts"),
            ("POST", "/api/v2/media") => Some("write:media"),
            ("GET", p) if p.starts_with("/api/v1/media/") => Some("write:media"),
            ("POST", "/api/v1/statuses") => Some("write:statuses"),
            ("GET", p) if p.starts_with("/api/v1/statuses/") => Some("read:statuses"),
            _ => None,
        };
        if let Some(scope) = scope
            && self.authorised(req)
            && let Some(refused) = self.missing_scope(scope)
        {
            return refused;
        }
        match (req.method.as_str(), req.path()) {
            ("GET", "/api/v1/accounts/verify_credentials") => {
                if !self.authorised(req) {
                    return unauthorised();
                }
                FakeResponse::json(
                    200,
                    serde_json::json!({"id": "1", "acct": "bib", "username": "bib",
                        "url": "https://mastodon.example/@bib"}),
                )
            }
            ("GET", "/api/v2/instance") => FakeResponse::json(
                200,
                serde_json::json!({
                    "domain": "mastodon.example",
                    "configuration": {
                        "statuses": {"max_characters": self.max_characters,
                            "max_media_attachments": 4, "characters_reserved_per_url": 23},
                        "media_attachments": {"description_limit": 1500,
                            "image_size_limit": 16777216},
                        "polls": {"max_options": 4, "max_characters_per_option": 50,
                            "min_expiration": 300, "max_expiration": 2629746},
                    }
                }),
            ),
            ("GET", path) if path.starts_with("/api/v1/timelines/tag/") => {
                // Servers may require a token for timelines; a wrong one is refused.
                if req.bearer().is_some() && !self.authorised(req) {
                    return unauthorised();
                }
                let base = format!(
                    "http://{}",
                    req.header("host").unwrap_or("mastodon.example")
                );
                tags::mastodon_tag_timeline(&self.tag_statuses, req, &base, &self.problems)
            }
            ("POST", "/api/v2/media") => {
                if !self.authorised(req) {
                    return unauthorised();
                }
                self.upload(req)
            }
            ("GET", path) if path.starts_with("/api/v1/media/") => {
                if !self.authorised(req) {
                    return unauthorised();
                }
                let id = &path["/api/v1/media/".len()..];
                let known = self
                    .state
                    .lock()
                    .unwrap()
                    .media
                    .iter()
                    .any(|(m, _)| m == id);
                if known {
                    FakeResponse::json(200, serde_json::json!({"id": id, "type": "image"}))
                } else {
                    FakeResponse::json(404, serde_json::json!({"error": "Record not found"}))
                }
            }
            ("POST", "/api/v1/statuses") => {
                if !self.authorised(req) {
                    return unauthorised();
                }
                self.post_status(req)
            }
            ("GET", path) if path.starts_with("/api/v1/statuses/") => {
                if !self.authorised(req) {
                    return unauthorised();
                }
                self.status(&path["/api/v1/statuses/".len()..])
            }
            _ => {
                self.problems.add(format!(
                    "mastodon: unexpected {} {}",
                    req.method, req.target
                ));
                FakeResponse::json(404, serde_json::json!({"error": "Record not found"}))
            }
        }
    }

    fn upload(&self, req: &FakeRequest) -> FakeResponse {
        let content_type = req.header("content-type").unwrap_or("");
        let Some(boundary) = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .map(str::to_owned)
        else {
            self.problems
                .add(format!("mastodon media: content-type {content_type:?}"));
            return FakeResponse::json(422, serde_json::json!({"error": "no file"}));
        };
        let body = String::from_utf8_lossy(&req.body);
        let mut description = None;
        let mut has_file = false;
        for part in body.split(&format!("--{boundary}")) {
            if part.contains("name=\"description\"") {
                description = part
                    .split("\r\n\r\n")
                    .nth(1)
                    .map(|v| v.trim_end_matches("\r\n").to_owned());
            }
            if part.contains("name=\"file\"") && part.contains("content-type: image/") {
                has_file = true;
            }
        }
        let description = description.unwrap_or_default();
        if !has_file {
            self.problems.add("mastodon media: no image `file` part");
            return FakeResponse::json(422, serde_json::json!({"error": "Validation failed"}));
        }
        if description.trim().is_empty() {
            self.problems
                .add("mastodon media: no `description` (alt text)");
        }
        let mut state = self.state.lock().unwrap();
        let id = format!("{}", 1000 + state.media.len());
        state.media.push((id.clone(), description.clone()));
        FakeResponse::json(
            200,
            serde_json::json!({"id": id, "type": "image", "description": description}),
        )
    }

    /// A status with its counts, as `GET /api/v1/statuses/:id` shows it: the figures a test
    /// set, zeros otherwise; 404 for an unknown or deleted status.
    fn status(&self, id: &str) -> FakeResponse {
        let state = self.state.lock().unwrap();
        if state.figures.is_deleted(id) || !state.statuses.iter().any(|s| s.id == id) {
            return FakeResponse::json(404, serde_json::json!({"error": "Record not found"}));
        }
        let mut status = status_json(id);
        for (name, value) in [
            ("favourites_count", 0),
            ("reblogs_count", 0),
            ("replies_count", 0),
        ] {
            status[name] = value.into();
        }
        state.figures.write_over(id, &mut status);
        FakeResponse::json(200, status)
    }

    fn post_status(&self, req: &FakeRequest) -> FakeResponse {
        let Some(key) = req.header("idempotency-key").map(str::to_owned) else {
            self.problems
                .add("mastodon status: no Idempotency-Key header");
            return FakeResponse::json(422, serde_json::json!({"error": "no idempotency key"}));
        };
        if !req
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
        {
            self.problems.add("mastodon status: body is not JSON");
        }
        let Some(body) = req.json() else {
            return FakeResponse::json(422, serde_json::json!({"error": "unreadable body"}));
        };
        let mut state = self.state.lock().unwrap();
        if let Some(status) = state.statuses.iter().find(|s| s.idempotency_key == key) {
            // What Mastodon does within the hour: the same status again.
            return FakeResponse::json(200, status_json(&status.id));
        }
        let text = body["status"].as_str().unwrap_or("");
        let spoiler = body["spoiler_text"].as_str().unwrap_or("");
        let length = mastodon_length(text) + graphemes(spoiler);
        if length > self.max_characters {
            return FakeResponse::json(
                422,
                serde_json::json!({"error": format!(
                    "Validation failed: Text character limit of {} exceeded", self.max_characters)}),
            );
        }
        let media = body["media_ids"].as_array().map_or(0, Vec::len);
        if media > 0 && body.get("poll").is_some_and(|p| !p.is_null()) {
            self.problems
                .add("mastodon status: poll and media together");
            return FakeResponse::json(
                422,
                serde_json::json!({"error": "Validation failed: Polls cannot be combined with media"}),
            );
        }
        if media > 4 {
            self.problems.add("mastodon status: more than 4 media");
        }
        for id in body["media_ids"].as_array().into_iter().flatten() {
            if !state
                .media
                .iter()
                .any(|(m, _)| Some(m.as_str()) == id.as_str())
            {
                self.problems
                    .add(format!("mastodon status: unknown media id {id}"));
            }
        }
        if let Some(visibility) = body.get("visibility").and_then(|v| v.as_str())
            && !["public", "unlisted", "private", "direct"].contains(&visibility)
        {
            self.problems
                .add(format!("mastodon status: visibility {visibility:?}"));
        }
        if let Some(language) = body.get("language").and_then(|v| v.as_str())
            && language.len() != 2
        {
            self.problems.add(format!(
                "mastodon status: language {language:?} is not ISO 639-1"
            ));
        }
        if let Some(poll) = body.get("poll").filter(|p| !p.is_null()) {
            let options = poll["options"].as_array().map_or(0, Vec::len);
            let expires = poll["expires_in"].as_u64().unwrap_or(0);
            if !(2..=4).contains(&options) || !(300..=2_629_746).contains(&expires) {
                self.problems
                    .add(format!("mastodon status: poll out of limits {poll}"));
            }
        }
        let id = format!("{}", 110_000_000 + state.statuses.len());
        state.statuses.push(FakeStatus {
            id: id.clone(),
            idempotency_key: key,
            body,
        });
        FakeResponse::json(200, status_json(&id))
    }
}

fn status_json(id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "uri": format!("https://mastodon.example/users/bib/statuses/{id}"),
        "url": format!("https://mastodon.example/@bib/{id}"),
    })
}

/// Mastodon's count: every URL counts 23, the rest in graphemes (mentions are counted whole
/// here; the suite's statuses have no remote mentions).
fn mastodon_length(text: &str) -> usize {
    text.split(' ')
        .map(|word| {
            let trimmed = word.trim_start_matches('\n');
            let lead = word.len() - trimmed.len();
            if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
                let url_end = trimmed.find('\n').unwrap_or(trimmed.len());
                lead + 23 + graphemes(&trimmed[url_end..])
            } else {
                graphemes(word)
            }
        })
        .sum::<usize>()
        + text.matches(' ').count()
}
