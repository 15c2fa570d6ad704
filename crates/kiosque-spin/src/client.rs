//! Who is asking: the client's address, for rate limits.
//!
//! Spin gives the address of the TCP peer in `spin-client-addr`. Behind a
//! proxy or a hosted platform that peer is the proxy, and the real client is
//! in a header the platform sets (`true-client-ip` on Akamai/Fermyon Wasm
//! Functions, `x-forwarded-for` behind most proxies). Which header to trust
//! is configuration (`client_ip_header`), never guessed: a header a client
//! can set itself must not decide its own rate limit.
//!
//! An IPv6 client is keyed by its /64 prefix: a subscriber usually gets a
//! whole /64 and can pick any of its 2^64 addresses, so keying by the full
//! address would give it as many budgets. IPv4 clients are keyed by address.

use spin_sdk::http::Request;

use crate::config;

/// The rate-limit identity of the client: its IPv4 address, its IPv6 /64 prefix (e.g.
/// `2001:db8:1:2::/64`), the raw value when it does not parse, or `"unknown"`.
pub fn address(req: &Request) -> String {
    let trusted = config::variable("client_ip_header").map(|h| h.trim().to_ascii_lowercase());
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::to_owned);
    let from_proxy = trusted.as_deref().and_then(header).and_then(|value| {
        // x-forwarded-for lists what each hop saw, appended left to right: the leftmost entry
        // is whatever the client wrote, the rightmost the one our trusted proxy appended.
        value.rsplit(',').next().map(|last| last.trim().to_owned())
    });
    let raw = from_proxy
        .filter(|v| !v.is_empty())
        .or_else(|| header("spin-client-addr"))
        .unwrap_or_default();
    let ip = strip_port(&raw);
    if ip.is_empty() {
        "unknown".to_owned()
    } else {
        rate_limit_key(ip)
    }
}

/// IPv4 (including IPv4-mapped IPv6) as is, IPv6 reduced to its /64 prefix; anything that
/// does not parse (a zone index, a platform's odd format) is kept verbatim.
fn rate_limit_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{prefix}/64")
            }
        },
        Err(_) => ip.to_owned(),
    }
}

/// `203.0.113.7:5123` -> `203.0.113.7`, `[2001:db8::1]:443` -> `2001:db8::1`;
/// a bare address is returned as is.
fn strip_port(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rsplit_once(':') {
        // One colon: IPv4 with a port. More: a bare IPv6 address.
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::{rate_limit_key, strip_port};

    #[test]
    fn ipv6_clients_share_their_64_and_ipv4_clients_are_keyed_by_address() {
        let a = rate_limit_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(rate_limit_key("2001:db8:1:2::1"), a);
        assert_eq!(rate_limit_key("2001:DB8:1:2:ffff::9"), a);
        assert_ne!(rate_limit_key("2001:db8:1:3::1"), a);
        assert_eq!(rate_limit_key("203.0.113.7"), "203.0.113.7");
        assert_ne!(rate_limit_key("203.0.113.8"), "203.0.113.7");
        assert_eq!(rate_limit_key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(rate_limit_key("::1"), "::/64");
        assert_eq!(rate_limit_key("not-an-ip"), "not-an-ip");
        // From a header value through `strip_port`.
        assert_eq!(
            rate_limit_key(strip_port("[2001:db8:1:2::5]:443")),
            "2001:db8:1:2::/64"
        );
    }

    #[test]
    fn ports_are_dropped_from_every_form() {
        assert_eq!(strip_port("203.0.113.7:5123"), "203.0.113.7");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("203.0.113.7"), "203.0.113.7");
        assert_eq!(strip_port(""), "");
    }
}
