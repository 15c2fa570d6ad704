//! `allowed_outbound_hosts`: which URLs a component may call, checked on
//! every outgoing request as Spin does (a request elsewhere fails with
//! `HttpRequestDenied` in the guest).

use anyhow::{Result, bail};

/// One allowed pattern: `scheme://host[:port]`, where the scheme, the host,
/// a leading `*.` of the host and the port may be `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    scheme: Pattern,
    host: HostPattern,
    port: Pattern,
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
}

impl AllowedHost {
    pub fn parse(text: &str) -> Result<Self> {
        let Some((scheme, rest)) = text.split_once("://") else {
            bail!(
                "allowed outbound host `{text}` needs a scheme, e.g. `https://{text}` (as Spin requires)"
            );
        };
        let scheme = match scheme {
            "*" => Pattern::Any,
            "http" | "https" => Pattern::Exactly(scheme.to_string()),
            other => bail!("allowed outbound host `{text}`: scheme `{other}` is not http(s)"),
        };
        let rest = rest.trim_end_matches('/');
        let bare_host = rest.split(':').next().unwrap_or_default();
        if bare_host == "self" || bare_host == "self.alt" || bare_host.ends_with(".spin.internal") {
            bail!(
                "allowed outbound host `{text}`: calls to the application itself (service chaining) are not supported by the dev host"
            );
        }
        if rest.contains('/') {
            bail!("allowed outbound host `{text}` must not have a path");
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => {
                (host, Some(port))
            }
            _ => (rest, None),
        };
        let host = match host {
            "*" => HostPattern::Any,
            "" => bail!("allowed outbound host `{text}` has no host"),
            h if h.starts_with("*.") => HostPattern::SubdomainOf(h[2..].to_ascii_lowercase()),
            h if h.contains('*') => {
                bail!(
                    "allowed outbound host `{text}`: `*` is only allowed as a whole host or a leading `*.`"
                )
            }
            h => HostPattern::Exactly(h.to_ascii_lowercase()),
        };
        let port = match port {
            Some("*") => Pattern::Any,
            Some(p) if p.parse::<u16>().is_ok() => Pattern::Exactly(p.to_string()),
            Some(p) => bail!("allowed outbound host `{text}`: invalid port `{p}`"),
            None => match &scheme {
                Pattern::Exactly(s) => Pattern::Exactly(default_port(s).to_string()),
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
        };
        let actual_port = port.unwrap_or_else(|| default_port(scheme));
        let port_ok = match &self.port {
            Pattern::Any => true,
            Pattern::Exactly(p) => *p == actual_port.to_string(),
        };
        scheme_ok && host_ok && port_ok
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" { 80 } else { 443 }
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
    fn invalid_patterns_are_refused() {
        for bad in [
            "example.org",
            "ftp://x",
            "https://a/b",
            "https://a:port",
            "https://a*b.c",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
    }
}
