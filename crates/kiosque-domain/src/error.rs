//! The error vocabulary shared by every domain: each domain error says what kind of failure it
//! is, and the Spin adapter maps kinds to HTTP statuses in one place.

/// What went wrong, independently of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is malformed or breaks a rule (HTTP 400).
    Invalid,
    /// The caller did not prove who they are (HTTP 401).
    Unauthorized,
    /// The caller is known but not allowed (HTTP 403).
    Forbidden,
    /// The thing asked for does not exist (HTTP 404).
    NotFound,
    /// The request clashes with the current state, e.g. a second vote (HTTP 409).
    Conflict,
    /// The input is larger than we accept (HTTP 413).
    PayloadTooLarge,
    /// The input is well-formed but breaks rules, listed field by field, e.g. a post too long
    /// for one of its channels (HTTP 422, with [`DomainError::field_errors`]).
    Unprocessable,
    /// The input comes in a format we do not read, e.g. a form where JSON is expected
    /// (HTTP 415).
    UnsupportedMediaType,
    /// The caller sent too many requests in a short time (HTTP 429).
    TooManyRequests,
    /// The store failed: not the caller's fault (HTTP 500, details only in the logs).
    Storage,
}

/// A domain error with a kind and a stable snake_case code that clients may match on.
///
/// The `Display` text is the human message; it must not leak internals for kinds other than
/// [`ErrorKind::Storage`], whose text the adapter logs but never sends.
pub trait DomainError: std::error::Error {
    fn kind(&self) -> ErrorKind;
    fn code(&self) -> &'static str;
    /// For [`ErrorKind::TooManyRequests`]: how long the client should wait, in seconds
    /// (sent as `Retry-After`).
    fn retry_after_secs(&self) -> Option<u32> {
        None
    }
    /// For [`ErrorKind::Unprocessable`]: every problem found, each with the path of its field
    /// (`channels[1].text`), so a client can show them all at once.
    fn field_errors(&self) -> Vec<crate::social::FieldError> {
        Vec::new()
    }
}
