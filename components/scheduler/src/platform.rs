//! The live seams of posts: outbound HTTP (`http_client`), the credentials key (`channels`)
//! and the `posts::Platform` built from them.

use kiosque_domain::KvStore;
use kiosque_domain::channels::CredentialKey;
use kiosque_domain::posts::live::LivePlatform;
use kiosque_spin::SystemClock;

pub use crate::http_client::SpinHttp as Http;

fn http() -> Http {
    Http::from_config()
}

/// The `credentials_key` variable; `None` when unset or malformed: staff can still prepare
/// and schedule posts, but nothing is published (each attempt is retried later) until it is
/// set.
fn credential_key() -> Option<CredentialKey> {
    crate::channels::credential_key()
        .inspect_err(|_| eprintln!("the credentials_key variable is not set or malformed"))
        .ok()
}

/// The library's public origin (`public_base_url`), read once per request: Instagram
/// downloads the library's images from it.
pub fn public_base_url() -> Option<String> {
    kiosque_spin::config::public_base_url().filter(|url| !url.is_empty())
}

/// What publishing needs from the deployment (outbound HTTP, the credentials key, the public
/// origin), read once per request; [`Deployment::live`] lends it to the domain's
/// `posts::Platform`.
pub struct Deployment {
    http: Http,
    key: Option<CredentialKey>,
    public_base_url: Option<String>,
}

impl Deployment {
    pub fn read() -> Self {
        Deployment {
            http: http(),
            key: credential_key(),
            public_base_url: public_base_url(),
        }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    pub fn key(&self) -> Option<&CredentialKey> {
        self.key.as_ref()
    }

    pub fn live<'a>(&'a self, store: &'a dyn KvStore) -> LivePlatform<'a, Http> {
        LivePlatform {
            store,
            clock: &SystemClock,
            key: self.key.as_ref(),
            http: &self.http,
            public_base_url: self.public_base_url.as_deref(),
        }
    }
}
