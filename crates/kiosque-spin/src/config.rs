//! Spin variables the components read. The manifest maps `admin_token`, `library_name` and
//! `public_base_url` into every component; an unset or empty variable counts as absent.

use spin_sdk::variables;

/// The library's name when the `library_name` variable is not set.
pub const DEFAULT_LIBRARY_NAME: &str = "Médiathèque";

/// A variable's value, or `None` when it is undefined, empty or unreadable.
pub fn variable(name: &str) -> Option<String> {
    match variables::get(name) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        Ok(_) => None,
        Err(variables::Error::Undefined(_)) => None,
        Err(e) => {
            // Never print the value (it may be a secret), only which variable failed.
            eprintln!("failed to read variable {name}: {e:?}");
            None
        }
    }
}

pub fn library_name() -> String {
    variable("library_name")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|| DEFAULT_LIBRARY_NAME.to_owned())
}

/// The configured public origin, without a trailing slash, e.g. `https://kiosque.example`.
pub fn public_base_url() -> Option<String> {
    variable("public_base_url").map(|url| url.trim().trim_end_matches('/').to_owned())
}
