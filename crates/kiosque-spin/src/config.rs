//! Spin variables the components read. The manifest maps `admin_token`, `library_name` and
//! `public_base_url` into every component; an unset or empty variable counts as absent.

use kiosque_domain::ratelimit::RateLimit;
use kiosque_domain::zone::Zone;
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

/// The library's time zone: the `library_time_zone` variable, `Europe/Paris` by default. Every
/// date staff type without a zone is read in it, and every date patrons or staff read is shown
/// in it. A name we do not know is logged and replaced by the default rather than failing
/// every request.
pub fn library_zone() -> Zone {
    match variable("library_time_zone") {
        None => Zone::PARIS,
        Some(name) => Zone::parse(&name).unwrap_or_else(|e| {
            eprintln!("variable library_time_zone: {e}; using Europe/Paris");
            Zone::PARIS
        }),
    }
}

/// The configured public origin, without a trailing slash, e.g. `https://kiosque.example`.
pub fn public_base_url() -> Option<String> {
    variable("public_base_url").map(|url| url.trim().trim_end_matches('/').to_owned())
}

/// A rate-limit variable written `max/seconds` (`0/0` disables); `default` when it is unset,
/// and when it is malformed, which is logged rather than failing every request.
pub fn rate_limit(name: &str, default: RateLimit) -> RateLimit {
    let Some(text) = variable(name) else {
        return default;
    };
    parse_rate_limit(&text).unwrap_or_else(|| {
        eprintln!("variable {name}: expected \"max/seconds\", e.g. \"300/600\"; using the default");
        default
    })
}

fn parse_rate_limit(text: &str) -> Option<RateLimit> {
    let (max, secs) = text.trim().split_once('/')?;
    Some(RateLimit {
        max: max.trim().parse().ok()?,
        window_secs: secs.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_read_max_per_seconds() {
        let limit = |max, window_secs| Some(RateLimit { max, window_secs });
        assert_eq!(parse_rate_limit("300/600"), limit(300, 600));
        assert_eq!(parse_rate_limit(" 5 / 60 "), limit(5, 60));
        assert_eq!(parse_rate_limit("0/0"), limit(0, 0));
        for bad in ["", "300", "300/", "/600", "-1/60", "a/b", "1/2/3"] {
            assert_eq!(parse_rate_limit(bad), None, "{bad}");
        }
    }
}
