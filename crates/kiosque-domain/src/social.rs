//! The vocabulary shared by posts (what staff schedule) and channels (where posts go): what a
//! post says to one channel, how publishing ended, the outbound HTTP seam and the lifecycle
//! events sent to staff's webhook endpoints.
//!
//! Posts and the tick (`posts`) and channels and platforms (`channels`) both depend on this
//! module and on nothing of each other, so the two areas evolve separately.

use std::fmt;
use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::web::HttpsUrl;

pub use crate::ids::ChannelId;

/// The kinds of channel a library can publish to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    Mastodon,
    Bluesky,
    Webhook,
    /// A Facebook Page, through Meta's Graph API.
    Facebook,
    /// An Instagram professional account linked to a Facebook Page, through the Graph API.
    Instagram,
}

impl ChannelKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChannelKind::Mastodon => "mastodon",
            ChannelKind::Bluesky => "bluesky",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Facebook => "facebook",
            ChannelKind::Instagram => "instagram",
        }
    }
}

/// Who sees a post (Mastodon's visibilities; Bluesky posts are always public).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(&self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }
}

/// An image published with a post: an outside image fetched from `url` at publish time, or a
/// medium of the media library, whose `social` rendition (metadata-free, under 1,000,000
/// bytes) is read from the store. Exactly one of the two ([`PostImage::source`]). `alt` is
/// required: channel validation refuses an empty one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostImage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<HttpsUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<crate::ids::MediumId>,
    pub alt: String,
}

/// Where a post's image comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource<'a> {
    Url(&'a HttpsUrl),
    Medium(&'a crate::ids::MediumId),
}

impl PostImage {
    pub fn from_url(url: HttpsUrl, alt: impl Into<String>) -> Self {
        PostImage {
            url: Some(url),
            medium: None,
            alt: alt.into(),
        }
    }

    pub fn from_medium(medium: crate::ids::MediumId, alt: impl Into<String>) -> Self {
        PostImage {
            url: None,
            medium: Some(medium),
            alt: alt.into(),
        }
    }

    /// The medium when there is one (parsing never makes both), else the URL; `None` for a
    /// stored image with neither, which publishing refuses.
    pub fn source(&self) -> Option<ImageSource<'_>> {
        match (&self.medium, &self.url) {
            (Some(medium), _) => Some(ImageSource::Medium(medium)),
            (None, Some(url)) => Some(ImageSource::Url(url)),
            (None, None) => None,
        }
    }
}

/// A poll attached to a post (Mastodon only; never together with images).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostPoll {
    pub options: Vec<String>,
    pub expires_in_secs: u32,
    #[serde(default)]
    pub multiple: bool,
}

/// What goes to one channel: the post's content or that channel's own version, with the
/// campaign hashtags already resolved (CamelCase, without '#'; appended by the platform code).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostContent {
    pub text: String,
    #[serde(default)]
    pub content_warning: Option<String>,
    /// ISO 639-1, e.g. `fr`.
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub link: Option<HttpsUrl>,
    /// At most 4.
    #[serde(default)]
    pub images: Vec<PostImage>,
    /// Mastodon only; not with images.
    #[serde(default)]
    pub poll: Option<PostPoll>,
    #[serde(default)]
    pub hashtags: Vec<String>,
}

/// One precise validation problem of a post for one channel, e.g.
/// `{"field": "text", "message": "301 graphemes, Bluesky allows 300"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How one attempt to publish to one channel ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PublishOutcome {
    /// The platform holds the post: its id there and its public URL.
    Published { platform_id: String, url: String },
    /// A transient failure (network, timeout, 5xx, 429): try again later, not before
    /// `retry_after_secs` when the platform said so.
    RetryLater {
        reason: String,
        retry_after_secs: Option<u64>,
    },
    /// The platform refused our credentials (401/403): the channel is marked and staff must
    /// reconnect it; retrying is pointless until then.
    NeedsReconnect { reason: String },
    /// The platform refused this content (422): the platform's message, for staff.
    Refused { message: String },
}

/// An outbound HTTP request, transport-neutral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest {
            method: "GET".to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn post(url: impl Into<String>, body: Vec<u8>) -> Self {
        HttpRequest {
            method: "POST".to_owned(),
            url: url.into(),
            headers: Vec::new(),
            body,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// An outbound HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an outbound request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFailure {
    Network(String),
    Timeout,
    /// The runtime refused to send it: the host is not in `allowed_outbound_hosts`. A
    /// configuration problem, not a passing one.
    Denied(String),
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpFailure::Network(reason) => write!(f, "network error: {reason}"),
            HttpFailure::Timeout => f.write_str("timed out"),
            HttpFailure::Denied(host) => write!(
                f,
                "{host} is not in allowed_outbound_hosts (see the mastodon_host, bluesky_host, meta_host, \
                 webhook_host and image_host variables)"
            ),
        }
    }
}

/// A stored record the tick could not read (a due entry, a post, a webhook delivery): set
/// aside, logged and named in the tick's report, so one bad record does not stop every tick
/// and everything queued behind it. The record itself is left as it is, for staff to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quarantined {
    pub key: String,
    pub reason: String,
}

impl Quarantined {
    /// Logs it (stderr, read by the platform's logs) and returns it for the report.
    pub fn logged(key: &str, reason: impl fmt::Display) -> Self {
        let reason = reason.to_string();
        eprintln!("tick: {key} is unreadable, set aside: {reason}");
        Quarantined {
            key: key.to_owned(),
            reason,
        }
    }
}

/// Outbound HTTP, implemented over spin-sdk in the component and by test doubles natively.
/// Async (static dispatch, `impl Future`), because spin-sdk's outbound `send` is async.
pub trait HttpClient {
    fn send(&self, request: HttpRequest)
    -> impl Future<Output = Result<HttpResponse, HttpFailure>>;

    /// Sends `request` and reads at most `cap + 1` bytes of the answer, so the caller can
    /// tell an answer longer than `cap` (`body.len() > cap`) without reading all of it: link
    /// cards read the head of a page and refuse an oversized image. The default cuts a body
    /// read whole (test doubles); the component's client stops reading.
    fn send_capped(
        &self,
        request: HttpRequest,
        cap: usize,
    ) -> impl Future<Output = Result<HttpResponse, HttpFailure>> {
        async move {
            let mut response = self.send(request).await?;
            response.body.truncate(cap.saturating_add(1));
            Ok(response)
        }
    }

    /// Where link cards may read pages from (`channels::link_card`). None by default.
    fn link_preview_origins(&self) -> LinkPreviewOrigins {
        LinkPreviewOrigins::default()
    }
}

/// Where the deployment lets link cards read pages and images from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkPreviewOrigins {
    /// `public_base_url`: links under it are the app's own pages, read through the
    /// runtime's request to the app itself (Spin's `self` requests), never over the public
    /// address.
    pub own: Option<crate::web::Url>,
    /// `link_preview_host`: the one outside origin whose pages may be read, when set.
    pub outside: Option<crate::web::Url>,
}

/// What happened to a post or a channel, sent to staff's webhook endpoints.
/// The `type` of the Standard Webhooks payload is [`LifecycleEvent::event_type`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum LifecycleEvent {
    #[serde(rename = "post.scheduled")]
    PostScheduled {
        post_id: String,
        channel_ids: Vec<ChannelId>,
        /// When the post is due, in UTC.
        scheduled_at: Timestamp,
    },
    #[serde(rename = "post.published")]
    PostPublished {
        post_id: String,
        channel_id: ChannelId,
        platform_id: String,
        url: String,
    },
    #[serde(rename = "post.failed")]
    PostFailed {
        post_id: String,
        channel_id: ChannelId,
        reason: String,
    },
    #[serde(rename = "channel.needs_reconnect")]
    ChannelNeedsReconnect {
        channel_id: ChannelId,
        reason: String,
    },
}

impl LifecycleEvent {
    pub fn event_type(&self) -> &'static str {
        match self {
            LifecycleEvent::PostScheduled { .. } => "post.scheduled",
            LifecycleEvent::PostPublished { .. } => "post.published",
            LifecycleEvent::PostFailed { .. } => "post.failed",
            LifecycleEvent::ChannelNeedsReconnect { .. } => "channel.needs_reconnect",
        }
    }
}

/// Runs a future to completion on the current thread, for native code whose futures never
/// wait on real I/O (test doubles answer immediately). Panics never: a pending future is
/// polled again after yielding the thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

/// A scripted [`HttpClient`] for native tests: answers by method and URL fragment, records
/// every request.
#[cfg(test)]
pub mod testing {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    /// What the double answers to one request.
    pub type ScriptedAnswer = Result<HttpResponse, HttpFailure>;
    type Answer = ScriptedAnswer;

    #[derive(Default)]
    pub struct ScriptedHttp {
        routes: Mutex<Vec<(String, String, VecDeque<Answer>)>>,
        requests: Mutex<Vec<HttpRequest>>,
    }

    impl ScriptedHttp {
        pub fn new() -> Self {
            Self::default()
        }

        /// Queues `answer` for requests `method` whose URL contains `url_part`. Answers of a
        /// route are used in order; the last one repeats.
        pub fn on(&self, method: &str, url_part: &str, answer: Answer) -> &Self {
            let mut routes = self.routes.lock().unwrap();
            match routes
                .iter_mut()
                .find(|(m, u, _)| m == method && u == url_part)
            {
                Some((_, _, answers)) => answers.push_back(answer),
                None => routes.push((method.into(), url_part.into(), VecDeque::from([answer]))),
            }
            self
        }

        /// Forgets the answers queued for a route.
        pub fn clear(&self, method: &str, url_part: &str) {
            self.routes
                .lock()
                .unwrap()
                .retain(|(m, u, _)| !(m == method && u == url_part));
        }

        pub fn requests(&self) -> Vec<HttpRequest> {
            self.requests.lock().unwrap().clone()
        }

        /// The requests whose URL contains `url_part`.
        pub fn requests_to(&self, url_part: &str) -> Vec<HttpRequest> {
            self.requests()
                .into_iter()
                .filter(|r| r.url.contains(url_part))
                .collect()
        }
    }

    impl HttpClient for ScriptedHttp {
        async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpFailure> {
            self.requests.lock().unwrap().push(request.clone());
            let mut routes = self.routes.lock().unwrap();
            let route = routes
                .iter_mut()
                .find(|(m, u, _)| *m == request.method && request.url.contains(u.as_str()));
            match route {
                Some((_, _, answers)) if answers.len() > 1 => answers.pop_front().unwrap(),
                Some((_, _, answers)) => answers.front().cloned().unwrap(),
                None => Err(HttpFailure::Network(format!(
                    "no scripted answer for {} {}",
                    request.method, request.url
                ))),
            }
        }
    }

    /// A JSON answer.
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Ok(HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap(),
        })
    }

    /// An answer with headers and a raw body.
    pub fn raw(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids_are_lowercase_alphanumeric() {
        assert!(ChannelId::parse("abc234").is_ok());
        for bad in ["", "ABC", "a-b", "a/b", &"a".repeat(41)] {
            assert!(ChannelId::parse(bad).is_err(), "{bad}");
        }
        let generated = ChannelId::generate([7; 10]);
        assert_eq!(ChannelId::parse(generated.as_str()).unwrap(), generated);
    }

    #[test]
    fn lifecycle_events_serialise_with_their_type() {
        let event = LifecycleEvent::ChannelNeedsReconnect {
            channel_id: ChannelId::parse("abc").unwrap(),
            reason: "401".to_owned(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "channel.needs_reconnect");
        assert_eq!(json["channel_id"], "abc");
        assert_eq!(event.event_type(), "channel.needs_reconnect");
    }

    #[test]
    fn block_on_runs_ready_futures() {
        assert_eq!(block_on(async { 41 + 1 }), 42);
    }
}
