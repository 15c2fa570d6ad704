//! `allowed_outbound_hosts`: which URLs a component may call, checked on
//! every outgoing request as Spin does (a request elsewhere fails with
//! `HttpRequestDenied` in the guest). `http://self` and `https://self` allow
//! requests to the application itself (see `outbound_hooks`).

use std::net::IpAddr;

use anyhow::{Result, bail};

/// One allowed pattern: `scheme://host[:port]` as Spin reads it (spin
/// `crates/outbound-networking-config/src/allowed_hosts.rs`): surrounding
/// spaces are ignored; the scheme, the host, a leading `*.` of the host and
/// the port may be `*`; the host may be an IP network in CIDR notation
/// (`10.0.0.0/8`); the port may be a range `8000..8010` (end excluded).
/// Each pattern is one host: a `{{ variable }}` that renders to a list is
/// not split (Spin does not either), and an empty one is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Pattern,
    host: HostPattern,
    port: PortPattern,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Exactly(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exactly(String),
    /// `*.example.com`: any subdomain of it, not the domain itself.
    SubdomainOf(String),
    /// An IP network: `10.0.0.0/8`, `::1/128`.
    Network(IpAddr, u8),
    /// `self` (or `self.alt`): requests to the application itself.
    ToSelf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    Exactly(u16),
    /// `start..end`, end excluded, as Spin's `Range<u16>`.
    Range(u16, u16),
}

impl AllowedHost {
    pub fn parse(text: &str) -> Result<Self> {
        let original = text;
        let text = text.trim();
        let Some((scheme, rest)) = text.split_once("://") else {
            bail!(
                "allowed outbound host `{original}` needs a scheme, e.g. `https://{text}` (as Spin requires)"
            );
        };
        let scheme = match scheme {
            "*" => Pattern::Any,
            "http" | "https" | "redis" | "rediss" => Pattern::Exactly(scheme.to_string()),
            other => bail!(
                "allowed outbound host `{text}`: scheme `{other}` is not one the dev host offers (http, https, redis, rediss)"
            ),
        };
        let bare_host = rest.split([':', '/']).next().unwrap_or_default();
        if bare_host.ends_with(".spin.internal") {
            bail!(
                "allowed outbound host `{text}`: local service chaining is not supported by the dev host (self requests are: `http://self`)"
            );
        }
        // As Spin's `HostConfig::ToSelf`: only relative (self) requests match it, whatever
        // its port.
        if bare_host == "self" || bare_host == "self.alt" {
            return Ok(Self {
                scheme,
                host: HostPattern::ToSelf,
                port: PortPattern::Any,
            });
        }
        // Spin splits at the last `:`; what follows is the port (and at most a
        // trailing `/`), what precedes the host (which may be a CIDR network).
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with('[') && !port.ends_with(']') => {
                (host, Some(port))
            }
            _ => (rest, None),
        };
        let port = match port.map(|p| p.split_once('/').unwrap_or((p, ""))) {
            Some((p, path)) if !path.is_empty() => {
                bail!("allowed outbound host `{text}` must not have a path (after port `{p}`)")
            }
            other => other.map(|(p, _)| p),
        };
        let host = host.trim_end_matches('/');
        let host = match host {
            "*" => HostPattern::Any,
            "" => bail!("allowed outbound host `{text}` has no host"),
            h if h.contains('/') => match parse_network(h) {
                Some((ip, prefix)) => HostPattern::Network(ip, prefix),
                None => bail!("allowed outbound host `{text}` must not have a path"),
            },
            h if h.starts_with("*.") => {
                let domain = &h[2..];
                if domain.contains('*') {
                    bail!("allowed outbound host `{text}`: wildcards are allowed only as prefixes");
                }
                HostPattern::SubdomainOf(domain.to_ascii_lowercase())
            }
            h if h.contains('*') => {
                bail!(
                    "allowed outbound host `{text}`: `*` is only allowed as a whole host or a leading `*.`"
                )
            }
            h => match h.parse::<IpAddr>() {
                Ok(ip) => HostPattern::Network(ip, if ip.is_ipv4() { 32 } else { 128 }),
                Err(_) => HostPattern::Exactly(h.to_ascii_lowercase()),
            },
        };
        let port = match port {
            Some("*") => PortPattern::Any,
            Some(p) if p.contains("..") => {
                let (start, end) = p.split_once("..").unwrap_or_default();
                match (start.parse::<u16>(), end.parse::<u16>()) {
                    (Ok(start), Ok(end)) => PortPattern::Range(start, end),
                    _ => bail!("allowed outbound host `{text}`: invalid port range `{p}`"),
                }
            }
            Some(p) if !p.is_empty() => match p.parse::<u16>() {
                Ok(p) => PortPattern::Exactly(p),
                Err(_) => bail!("allowed outbound host `{text}`: invalid port `{p}`"),
            },
            _ => match &scheme {
                Pattern::Exactly(s) => PortPattern::Exactly(default_port(s)),
                // As Spin says: `*` has no default port, so one must be given.
                Pattern::Any => bail!(
                    "allowed outbound host `{text}`: no port was given and the scheme `*` has no default port (write `*://host:*` or a port)"
                ),
            },
        };
        Ok(Self { scheme, host, port })
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme_ok = match &self.scheme {
            Pattern::Any => true,
            Pattern::Exactly(s) => s == scheme,
        };
        let host = host.to_ascii_lowercase();
        let host_ok = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exactly(h) => *h == host,
            HostPattern::SubdomainOf(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
            HostPattern::Network(network, prefix) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| in_network(ip, *network, *prefix)),
            // Checked apart, by `allows_self`, as Spin does.
            HostPattern::ToSelf => false,
        };
        let actual_port = port.unwrap_or_else(|| default_port(scheme));
        let port_ok = match &self.port {
            PortPattern::Any => true,
            PortPattern::Exactly(p) => *p == actual_port,
            PortPattern::Range(start, end) => (*start..*end).contains(&actual_port),
        };
        scheme_ok && host_ok && port_ok
    }

    /// Whether this pattern allows requests to the application itself: Spin's
    /// `allows_relative(["http", "https"])`, true for `http://self`, `https://self` and
    /// any-host patterns.
    pub fn allows_self(&self) -> bool {
        let scheme_ok = match &self.scheme {
            Pattern::Any => true,
            Pattern::Exactly(s) => s == "http" || s == "https",
        };
        scheme_ok && matches!(self.host, HostPattern::Any | HostPattern::ToSelf)
    }
}

/// `10.0.0.0/8` or `fd00::/8`: the address and the prefix length.
fn parse_network(text: &str) -> Option<(IpAddr, u8)> {
    let (ip, prefix) = text.split_once('/')?;
    let ip: IpAddr = ip.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

fn in_network(ip: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

fn default_port(scheme: &str) -> u16 {
    match scheme {
        "http" => 80,
        "redis" | "rediss" => 6379,
        _ => 443,
    }
}

/// The whole list of one component.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    allowed: Vec<AllowedHost>,
}

impl OutboundPolicy {
    pub fn new(allowed: Vec<AllowedHost>) -> Self {
        Self { allowed }
    }

    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.allowed.iter().any(|a| a.allows(scheme, host, port))
    }

    /// Whether the component may call the application itself.
    pub fn allows_self(&self) -> bool {
        self.allowed.iter().any(AllowedHost::allows_self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(patterns: &[&str]) -> OutboundPolicy {
        OutboundPolicy::new(
            patterns
                .iter()
                .map(|p| AllowedHost::parse(p).unwrap())
                .collect(),
        )
    }

    #[test]
    fn exact_hosts_and_default_ports() {
        let p = policy(&["https://mastodon.social"]);
        assert!(p.allows("https", "mastodon.social", None));
        assert!(p.allows("https", "MASTODON.social", Some(443)));
        assert!(!p.allows("https", "mastodon.social", Some(8443)));
        assert!(!p.allows("http", "mastodon.social", None));
        assert!(!p.allows("https", "evil.example", None));
    }

    #[test]
    fn wildcards() {
        let p = policy(&["https://*.bsky.social", "http://127.0.0.1:*"]);
        assert!(p.allows("https", "pds.bsky.social", None));
        assert!(!p.allows("https", "bsky.social", None));
        assert!(!p.allows("https", "evilbsky.social", None));
        assert!(p.allows("http", "127.0.0.1", Some(9000)));
        assert!(policy(&["*://*:*"]).allows("http", "anything", Some(1)));
        let any_scheme = policy(&["*://example.org:8080"]);
        assert!(any_scheme.allows("http", "example.org", Some(8080)));
        assert!(any_scheme.allows("https", "example.org", Some(8080)));
        assert!(!any_scheme.allows("https", "example.org", None));
        assert!(!OutboundPolicy::default().allows("https", "example.org", None));
    }

    #[test]
    fn spin_extras_trimming_port_ranges_and_networks() {
        let p = policy(&[
            " https://mastodon.social ",
            "http://127.0.0.1:8000..8002",
            "https://10.0.0.0/8",
            "http://[::1]:*",
        ]);
        assert!(p.allows("https", "mastodon.social", None));
        assert!(p.allows("http", "127.0.0.1", Some(8001)));
        assert!(
            !p.allows("http", "127.0.0.1", Some(8002)),
            "the end is excluded"
        );
        assert!(p.allows("https", "10.20.30.40", None));
        assert!(!p.allows("https", "11.0.0.1", None));
        assert!(!p.allows("https", "10.example", None));
        assert!(p.allows("http", "[::1]", Some(3000)));
        assert!(policy(&["https://example.org/"]).allows("https", "example.org", None));
    }

    #[test]
    fn self_requests_need_self() {
        let p = policy(&["http://self", "https://mastodon.social"]);
        assert!(p.allows_self());
        assert!(
            !p.allows("http", "self", None) && !p.allows("http", "self.alt", None),
            "`self` matches no absolute URL"
        );
        assert!(policy(&["https://self.alt"]).allows_self());
        assert!(policy(&["*://*:*"]).allows_self());
        assert!(!policy(&["https://mastodon.social", "redis://self"]).allows_self());
        assert!(!OutboundPolicy::default().allows_self());
        assert!(AllowedHost::parse("http://x.spin.internal").is_err());
    }

    #[test]
    fn invalid_patterns_are_refused() {
        for bad in [
            "example.org",
            "ftp://x",
            "https://a/b",
            "https://a:port",
            "https://a*b.c",
            "https://a/b/c",
            "https://10.0.0.0/33",
            "http://h:1..x",
            "",
            "   ",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }
}
