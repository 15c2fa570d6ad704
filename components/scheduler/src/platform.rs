//! The live seams of posts: outbound HTTP (`http_client`), the credentials key (`channels`)
//! and the `posts::Platform` built from them.

use kiosque_domain::Clock;
use kiosque_domain::KvStore;
use kiosque_domain::channels::CredentialKey;
use kiosque_domain::posts::live::LivePlatform;

pub use crate::http_client::SpinHttp as Http;

pub fn http() -> Http {
    Http::from_config()
}

/// The `credentials_key` variable; `None` when unset or malformed: staff can still prepare
/// and schedule posts, but nothing is published (each attempt is retried later) until it is
/// set.
pub fn credential_key() -> Option<CredentialKey> {
    crate::channels::credential_key()
        .inspect_err(|_| eprintln!("the credentials_key variable is not set or malformed"))
        .ok()
}

pub fn live<'a>(
    store: &'a dyn KvStore,
    clock: &'a dyn Clock,
    key: Option<&'a CredentialKey>,
    http: &'a Http,
) -> LivePlatform<'a, Http> {
    LivePlatform {
        store,
        clock,
        key,
        http,
    }
}
