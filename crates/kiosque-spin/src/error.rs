//! Errors as HTTP answers. [`status_for`] is the one mapping from domain error kinds to
//! statuses; [`ApiError`] renders it as RFC 9457 problem details for `/api/...`,
//! [`PageError`] as an HTML page.
//!
//! Malformed JSON (`invalid_json`) and rule violations (`invalid_poll`, `invalid_option`, ...)
//! both answer 400: clients tell them apart by `code`, not by status.

use std::fmt::Display;

use kiosque_domain::social::FieldError;
use kiosque_domain::{DomainError, ErrorKind};
use serde::Serialize;
use spin_sdk::http::{IntoResponse, Response};

use crate::html::html;
use crate::html::layout::{self, PageContext, PageMeta};
use crate::response;

/// The HTTP status for each kind of domain error.
pub fn status_for(kind: ErrorKind) -> u16 {
    match kind {
        ErrorKind::Invalid => 400,
        ErrorKind::Unauthorized => 401,
        ErrorKind::Forbidden => 403,
        ErrorKind::NotFound => 404,
        ErrorKind::Conflict => 409,
        ErrorKind::PayloadTooLarge => 413,
        ErrorKind::UnsupportedMediaType => 415,
        ErrorKind::Unprocessable => 422,
        ErrorKind::TooManyRequests => 429,
        ErrorKind::Storage => 500,
    }
}

/// A request refused for how it was sent rather than for what it asks: the transport's own
/// failures, mapped to statuses by [`status_for`] like every domain error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// A state-changing request sent from another site's page (see [`crate::same_site`]).
    CrossSite,
    /// A JSON endpoint received a body declared as something else.
    UnsupportedMediaType,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RequestError::CrossSite => "requests sent from other sites are not accepted",
            RequestError::UnsupportedMediaType => "the content-type must be application/json",
        })
    }
}

impl std::error::Error for RequestError {}

impl DomainError for RequestError {
    fn kind(&self) -> ErrorKind {
        match self {
            RequestError::CrossSite => ErrorKind::Forbidden,
            RequestError::UnsupportedMediaType => ErrorKind::UnsupportedMediaType,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            RequestError::CrossSite => "forbidden",
            RequestError::UnsupportedMediaType => "unsupported_media_type",
        }
    }
}

/// An API error, answered as RFC 9457 problem details (`application/problem+json`):
///
/// ```json
/// {"type": "urn:kiosque:problem:poll_not_found", "title": "Not Found", "status": 404,
///  "detail": "poll not found", "code": "poll_not_found",
///  "error": {"code": "poll_not_found", "message": "poll not found"}}
/// ```
///
/// `code` and `fields` are extension members: programs branch on `code`, forms show
/// `fields`. The `error` member repeats them in the shape clients used before problem details
/// (`{"error": {"code", "message", "fields"}}`), so scripts written against it keep working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds the client should wait before retrying (`Retry-After`, with 429).
    pub retry_after_secs: Option<u32>,
    /// With 422: every problem found, by field path (`fields` in the body).
    pub fields: Vec<FieldError>,
    /// With 405: the methods the path accepts (the `Allow` header).
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
            fields: Vec::new(),
            allow: None,
        }
    }

    /// A 500 that tells the client nothing; `detail` goes to stderr only.
    pub fn internal(detail: impl Display) -> Self {
        eprintln!("internal error: {detail}");
        ApiError::new(500, "internal_error", "internal error")
    }

    pub fn unauthorized() -> Self {
        ApiError::new(
            401,
            "unauthorized",
            "sign in to the console, or send a valid token in the authorization header",
        )
    }

    pub fn not_found() -> Self {
        ApiError::new(404, "not_found", "nothing here")
    }

    /// A 405 for a path that accepts the methods listed in `allow` (e.g. `"GET, HEAD"`).
    pub fn method_not_allowed(allow: impl Into<String>) -> Self {
        let allow = allow.into();
        ApiError {
            allow: Some(allow.clone()),
            ..ApiError::new(
                405,
                "method_not_allowed",
                format!("this method is not allowed on this path; it accepts {allow}"),
            )
        }
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            413,
            "payload_too_large",
            format!(
                "the request body must be at most {} KiB",
                limit_bytes / 1024
            ),
        )
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        ApiError::new(400, "invalid_json", message)
    }
}

impl<E: DomainError> From<E> for ApiError {
    fn from(error: E) -> Self {
        match error.kind() {
            ErrorKind::Storage => ApiError::internal(format!("{}: {error}", error.code())),
            kind => ApiError {
                retry_after_secs: error.retry_after_secs(),
                fields: error.field_errors(),
                ..ApiError::new(status_for(kind), error.code(), error.to_string())
            },
        }
    }
}

/// The media type of problem details (RFC 9457, section 3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The body of an [`ApiError`] (see there for the members).
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    problem_type: String,
    title: &'static str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
    error: LegacyError<'a>,
}

/// The error as clients written before problem details read it.
#[derive(Serialize)]
struct LegacyError<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
}

/// The problem type of an error `code`: a URN rather than a URL, so it names the error without
/// promising a documentation page at some host (RFC 9457 allows any URI; `code` says the same
/// for programs that prefer a plain string).
pub fn problem_type(code: &str) -> String {
    format!("urn:kiosque:problem:{code}")
}

/// The reason phrase of the statuses Kiosque answers with, as the problem's `title`.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ if status < 500 => "Client Error",
        _ => "Server Error",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ProblemBody {
            problem_type: problem_type(self.code),
            title: reason_phrase(self.status),
            status: self.status,
            detail: &self.message,
            code: self.code,
            fields: &self.fields,
            error: LegacyError {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        let mut response = response::json(self.status, &body);
        response.set_header("content-type", PROBLEM_JSON);
        if self.status == 401 {
            response.set_header("www-authenticate", "Bearer realm=\"kiosque\"");
        }
        if let Some(secs) = self.retry_after_secs {
            response.set_header("retry-after", secs.to_string());
        }
        if let Some(allow) = &self.allow {
            response.set_header("allow", allow.as_str());
        }
        response
    }
}

/// One language's wording of an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageText {
    pub title: String,
    pub message: String,
    /// Label of [`PageError::link`] in this language.
    pub link_label: String,
}

/// An HTML error page with the site layout, French first then English, and the right status.
///
/// It needs no request to render, so handlers can return it with `?`; it is bilingual because
/// the negotiated language is not known at that point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub status: u16,
    pub code: &'static str,
    /// Boxed so that `Result<Response, PageError>` stays small on the happy path.
    pub content: Box<PageContent>,
    /// Seconds the visitor should wait before retrying (`Retry-After`, with 429).
    pub retry_after_secs: Option<u32>,
}

/// The words of an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageContent {
    pub fr: PageText,
    pub en: PageText,
    /// Where the visitor can go next; the home page by default.
    pub link: String,
}

impl PageError {
    pub fn new(status: u16, code: &'static str, fr: [&str; 2], en: [&str; 2]) -> Self {
        PageError {
            status,
            code,
            content: Box::new(PageContent {
                fr: PageText {
                    title: fr[0].to_owned(),
                    message: fr[1].to_owned(),
                    link_label: "Retour à l’accueil".to_owned(),
                },
                en: PageText {
                    title: en[0].to_owned(),
                    message: en[1].to_owned(),
                    link_label: "Back to the home page".to_owned(),
                },
                link: "/".to_owned(),
            }),
            retry_after_secs: None,
        }
    }

    /// Points the page's link somewhere more useful than the home page.
    /// The page for a patron's form refused by a submission rate limit (429, `Retry-After`):
    /// the same words wherever patrons write (answers, entries, photos, feedback).
    pub fn too_many_submissions(retry_after_secs: u32) -> Self {
        let mut page = PageError::new(
            429,
            "rate_limited",
            [
                "Trop d’envois",
                "Trop d’envois depuis votre connexion : réessayez dans quelques minutes.",
            ],
            [
                "Too many submissions",
                "Too many submissions from your connection: try again in a few minutes.",
            ],
        );
        page.retry_after_secs = Some(retry_after_secs);
        page
    }

    pub fn with_link(mut self, href: impl Into<String>, fr_label: &str, en_label: &str) -> Self {
        self.content.link = href.into();
        self.content.fr.link_label = fr_label.to_owned();
        self.content.en.link_label = en_label.to_owned();
        self
    }

    pub fn not_found() -> Self {
        PageError::new(
            404,
            "not_found",
            [
                "Page introuvable",
                "Cette page n’existe pas ou n’existe plus.",
            ],
            [
                "Page not found",
                "This page does not exist or no longer exists.",
            ],
        )
    }

    pub fn method_not_allowed() -> Self {
        PageError::new(
            405,
            "method_not_allowed",
            [
                "Action impossible",
                "Cette page ne permet pas cette action.",
            ],
            [
                "Action not allowed",
                "This page does not allow this action.",
            ],
        )
    }

    pub fn internal(detail: impl Display) -> Self {
        eprintln!("internal error: {detail}");
        PageError::new(
            500,
            "internal_error",
            [
                "Erreur interne",
                "Un problème technique nous empêche de répondre. Réessayez dans un moment.",
            ],
            [
                "Internal error",
                "A technical problem prevents us from answering. Please try again later.",
            ],
        )
    }

    /// The page for a form posted from another site's page: nothing was recorded, and the
    /// visitor can act from our own page instead.
    pub fn cross_site() -> Self {
        let error = RequestError::CrossSite;
        PageError::new(
            status_for(error.kind()),
            error.code(),
            [
                "Action refusée",
                "Cette demande a été envoyée depuis un autre site : rien n’a été enregistré. \
                 Utilisez le formulaire de notre site.",
            ],
            [
                "Action refused",
                "This request was sent from another site: nothing was recorded. Please use \
                 the form on our site.",
            ],
        )
    }

    /// The page's HTML document.
    pub fn render(&self) -> String {
        let PageContent { fr, en, link } = &*self.content;
        let ctx = PageContext::without_request();
        let meta = PageMeta {
            title: format!("{} · {}", fr.title, en.title),
            description: fr.message.clone(),
            indexable: false,
            ..PageMeta::default()
        };
        let body = html! {
            h1 { (fr.title) }
            p { (fr.message) }
            p { a href=(link) { (fr.link_label) } }
            div.translation lang="en" {
                h2 { (en.title) }
                p { (en.message) }
                p { a href=(link) { (en.link_label) } }
            }
        };
        layout::page(&ctx, &meta, body)
    }
}

impl<E: DomainError> From<E> for PageError {
    fn from(error: E) -> Self {
        let retry_after_secs = error.retry_after_secs();
        PageError {
            retry_after_secs,
            ..page_for(error)
        }
    }
}

fn page_for<E: DomainError>(error: E) -> PageError {
    {
        let status = status_for(error.kind());
        match error.kind() {
            ErrorKind::Storage => PageError::internal(format!("{}: {error}", error.code())),
            ErrorKind::NotFound => PageError {
                status,
                code: error.code(),
                ..PageError::not_found()
            },
            ErrorKind::Unauthorized | ErrorKind::Forbidden => PageError::new(
                status,
                error.code(),
                ["Accès refusé", "Vous n’avez pas accès à cette page."],
                ["Access denied", "You do not have access to this page."],
            ),
            ErrorKind::Conflict => PageError::new(
                status,
                error.code(),
                [
                    "Action impossible",
                    "Cette action entre en conflit avec l’état actuel.",
                ],
                ["Action not possible", &error.to_string()],
            ),
            ErrorKind::TooManyRequests => PageError::new(
                status,
                error.code(),
                [
                    "Trop de demandes",
                    "Trop de demandes sont arrivées de votre connexion. Réessayez dans quelques minutes.",
                ],
                [
                    "Too many requests",
                    "Too many requests came from your connection. Please try again in a few minutes.",
                ],
            ),
            ErrorKind::PayloadTooLarge => PageError::new(
                status,
                error.code(),
                [
                    "Envoi trop volumineux",
                    "Les données envoyées sont trop grandes.",
                ],
                ["Request too large", "The data sent is too large."],
            ),
            ErrorKind::UnsupportedMediaType => PageError::new(
                status,
                error.code(),
                [
                    "Format non pris en charge",
                    "Les données envoyées ne sont pas dans un format que nous lisons.",
                ],
                [
                    "Unsupported format",
                    "The data sent is not in a format we read.",
                ],
            ),
            ErrorKind::Invalid | ErrorKind::Unprocessable => PageError::new(
                status,
                error.code(),
                [
                    "Demande invalide",
                    "Votre demande n’a pas pu être traitée : vérifiez le formulaire.",
                ],
                ["Invalid request", &error.to_string()],
            ),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = response::html(self.status, self.render());
        if let Some(secs) = self.retry_after_secs {
            response.set_header("retry-after", secs.to_string());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosque_domain::polls::PollError;
    use kiosque_domain::store::StoreError;

    #[test]
    fn domain_errors_map_to_statuses_and_codes() {
        let check = |error: PollError, status: u16, code: &str| {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
        };
        check(PollError::NotFound, 404, "poll_not_found");
        check(PollError::AlreadyVoted, 409, "already_voted");
        check(
            PollError::InvalidOption { options: 2 },
            400,
            "invalid_option",
        );
        check(
            PollError::Invalid("question: x".into()),
            400,
            "invalid_poll",
        );
        check(PollError::Conflict, 409, "poll_exists");

        let api = ApiError::from(RequestError::CrossSite);
        assert_eq!((api.status, api.code), (403, "forbidden"));
        let api = ApiError::from(RequestError::UnsupportedMediaType);
        assert_eq!((api.status, api.code), (415, "unsupported_media_type"));
        assert_eq!(PageError::cross_site().status, 403);

        let limited = PollError::RateLimited {
            retry_after_secs: 42,
        };
        let api = ApiError::from(limited);
        assert_eq!(
            (api.status, api.code, api.retry_after_secs),
            (429, "rate_limited", Some(42))
        );
        let page = PageError::from(PollError::RateLimited {
            retry_after_secs: 7,
        });
        assert_eq!((page.status, page.retry_after_secs), (429, Some(7)));
        assert_eq!(ApiError::from(PollError::NotFound).retry_after_secs, None);
    }

    #[test]
    fn storage_failures_never_reach_the_client() {
        let secret = "sqlite: disk I/O error at /var/lib/spin/db";
        let api = ApiError::from(PollError::Storage(StoreError::Backend(secret.into())));
        assert_eq!(api.status, 500);
        assert_eq!(api.code, "internal_error");
        assert_eq!(api.message, "internal error");

        let page = PageError::from(StoreError::Backend(secret.into()));
        assert_eq!(page.status, 500);
        assert!(!format!("{page:?}").contains("sqlite"));
    }
}
