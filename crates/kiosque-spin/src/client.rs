//! Who is asking: the client's address, for rate limits.
//!
//! Spin gives the address of the TCP peer in `spin-client-addr`. Behind a
//! proxy or a hosted platform that peer is the proxy, and the real client is
//! in a header the platform sets (`true-client-ip` on Akamai/Fermyon Wasm
//! Functions, `x-forwarded-for` behind most proxies). Which header to trust
//! is configuration (`client_ip_header`), never guessed: a header a client
//! can set itself must not decide its own rate limit.

use spin_sdk::http::Request;

use crate::config;

/// The client's address without the port, or `"unknown"`.
pub fn address(req: &Request) -> String {
    let trusted = config::variable("client_ip_header").map(|h| h.trim().to_ascii_lowercase());
    let header = |name: &str| req.header(name).and_then(|v| v.as_str()).map(str::to_owned);
    let from_proxy = trusted.as_deref().and_then(header).and_then(|value| {
        // x-forwarded-for lists the client first, then each proxy.
        value.split(',').next().map(|first| first.trim().to_owned())
    });
    let raw = from_proxy
        .filter(|v| !v.is_empty())
        .or_else(|| header("spin-client-addr"))
        .unwrap_or_default();
    let ip = strip_port(&raw);
    if ip.is_empty() {
        "unknown".to_owned()
    } else {
        ip.to_owned()
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
    use super::strip_port;

    #[test]
    fn ports_are_dropped_from_every_form() {
        assert_eq!(strip_port("203.0.113.7:5123"), "203.0.113.7");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("203.0.113.7"), "203.0.113.7");
        assert_eq!(strip_port(""), "");
    }
}
