//! Outbound address safety for webhooks and callouts.
//!
//! A subscriber chooses the URL, so without a check a webhook is a way to make the server
//! call its own network (SSRF). Refused unless the server runs with
//! `--webhook-allow-private`: URLs whose host is, or resolves to, a loopback, private,
//! carrier-grade NAT, link-local, multicast, broadcast, documentation or unspecified address,
//! and plain `http`. The check runs when a subscription is saved and again on every request,
//! after DNS resolution, inside the HTTP client's resolver, so a name that later resolves
//! elsewhere (DNS rebinding) is refused at connect time; redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// Why an outbound URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("url is not a valid absolute URL: {0}")]
    Invalid(String),
    #[error(
        "url must use https (plain http only on servers started with --webhook-allow-private)"
    )]
    NotHttps,
    #[error("url must use http or https")]
    Scheme,
    #[error("url must not contain a user name or password")]
    Credentials,
    #[error("url points at a non-public address ({0}); this server only calls public addresses")]
    NonPublic(IpAddr),
    #[error("url's host {0} could not be resolved")]
    Unresolvable(String),
    #[error("url's host {0} is not on this server's list of hosts webhooks and callouts may call")]
    HostNotAllowed(String),
}

impl AddressError {
    /// A refusal by this server's outbound policy (private addresses, plain http, the host
    /// allow-list) rather than a malformed URL: the URL itself is fine elsewhere.
    pub fn is_policy(&self) -> bool {
        matches!(
            self,
            AddressError::NotHttps | AddressError::NonPublic(_) | AddressError::HostNotAllowed(_)
        )
    }
}

/// `--webhook-allowed-hosts`: the only hosts webhooks and callouts may call, when set. Entries
/// are host names or IP addresses, compared case-insensitively, or `*.example.com` for every
/// name under `example.com`. Checked before any DNS lookup, so a refused host is never
/// resolved or connected to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Option<Vec<String>>);

/// The default allows any host (the address rules still apply).
impl AllowedHosts {
    pub fn parse(list: &str) -> Result<Self, String> {
        let hosts: Vec<String> = list
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if hosts.is_empty() {
            return Err("give at least one host name".into());
        }
        for h in &hosts {
            let name = h.strip_prefix("*.").unwrap_or(h);
            if name.is_empty()
                || name.contains(['/', ':', '*', ' ']) && name.parse::<IpAddr>().is_err()
            {
                return Err(format!(
                    "{h:?} is not a host name, an IP address or *.domain"
                ));
            }
        }
        Ok(AllowedHosts(Some(hosts)))
    }

    pub fn allows(&self, url: &Url) -> bool {
        let Some(list) = &self.0 else { return true };
        let host = match url.host() {
            Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return false,
        };
        list.iter().any(|entry| match entry.strip_prefix("*.") {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => *entry == host || entry.trim_matches(['[', ']']) == host,
        })
    }
}

/// Check a URL's form (scheme, host, no credentials) and, when its host is an IP literal,
/// the address. Names are checked after resolution ([`check_resolved`]).
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, AddressError> {
    let url = Url::parse(raw.trim()).map_err(|e| AddressError::Invalid(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(AddressError::NotHttps),
        _ => return Err(AddressError::Scheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AddressError::Credentials);
    }
    match url.host() {
        None => return Err(AddressError::Invalid("no host".into())),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), allow_private)?,
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), allow_private)?,
        Some(Host::Domain(_)) => {}
    }
    Ok(url)
}

/// Resolve the URL's host and check every address it resolves to (a subscription is refused
/// if any of them is non-public). IP literals need no lookup.
pub async fn check_resolved(url: &Url, allow_private: bool) -> Result<(), AddressError> {
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| AddressError::Unresolvable(name.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(AddressError::Unresolvable(name.to_string()));
    }
    for addr in addrs {
        check_ip(addr.ip(), false)?;
    }
    Ok(())
}

fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), AddressError> {
    if allow_private || is_public(ip) {
        Ok(())
    } else {
        Err(AddressError::NonPublic(ip))
    }
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// An allow-list, not a block-list: only global unicast (`2000::/3`) is public, less the
/// special-purpose ranges inside it; the forms that carry an IPv4 address (IPv4-mapped,
/// NAT64's `64:ff9b::/96`, 6to4's `2002::/16`, Teredo's `2001::/32`) are decoded and the IPv4
/// checked instead. So loopback cannot hide in `::127.0.0.1`, `::ffff:0:7f00:1` or
/// `2002:7f00:1::1`.
fn is_public_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if let Some(mapped) = v6.to_ipv4_mapped() {
        return is_public_v4(mapped);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(v4(s[6], s[7]));
    }
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    match (s[0], s[1]) {
        // 6to4: the IPv4 is bits 16..48.
        (0x2002, _) => is_public_v4(v4(s[1], s[2])),
        // Teredo: the server's IPv4, and the client's (inverted) in the last 32 bits.
        (0x2001, 0x0000) => is_public_v4(v4(s[2], s[3])) && is_public_v4(v4(!s[6], !s[7])),
        // IETF protocol assignments 2001::/23 (benchmarking, ORCHID, …) and documentation.
        (0x2001, b) if b < 0x0200 => false,
        (0x2001, 0x0db8) => false,
        // Documentation 3fff::/20 (RFC 9637).
        (0x3fff, b) if b < 0x1000 => false,
        _ => true,
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking 198.18/15
        || a >= 240) // reserved
}

/// reqwest's resolver with the address check applied after every lookup: a name that
/// resolves to a refused address fails the connection before any byte is sent.
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = match addrs.first() {
                    Some(a) => Box::new(AddressError::NonPublic(a.ip())),
                    None => Box::new(AddressError::Unresolvable(host)),
                };
                return Err(err);
            }
            let iter: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(iter)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "::7f00:1",
            "::ffff:0:7f00:1",
            "2002:7f00:1::1",
            "2002:a00:1::1",
            "2001:0:7f00:1::80ff:fffe",
            "2001:0:5db8:d822:0:0:80ff:fffe",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "100::1",
            "::",
            "1::1",
            "4000::1",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(!is_public(ip), "{bad} must be refused");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "1.1.1.1",
            "2a00:1450::1",
            "2002:808:808::1",
            "64:ff9b::808:808",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(good.parse().unwrap()), "{good} is public");
        }
    }

    #[test]
    fn allowed_hosts() {
        let list = AllowedHosts::parse("crm.example.com, *.Example.ORG,203.0.113.7").unwrap();
        let allows = |u: &str| list.allows(&Url::parse(u).unwrap());
        assert!(allows("https://crm.example.com/hook"));
        assert!(allows("https://CRM.example.com./hook"));
        assert!(allows("https://a.b.example.org/x"));
        assert!(allows("https://203.0.113.7/x"));
        assert!(
            !allows("https://example.org/x"),
            "*.domain is for names under it"
        );
        assert!(!allows("https://evil-crm.example.com/x"));
        assert!(!allows("https://crm.example.com.evil.net/x"));
        assert!(AllowedHosts::default().allows(&Url::parse("https://anything.test/").unwrap()));
        for bad in ["", " , ", "https://x.test/", "*"] {
            assert!(AllowedHosts::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls() {
        assert!(matches!(
            check_url("https://127.0.0.1:9/hook", false),
            Err(AddressError::NonPublic(_))
        ));
        assert!(matches!(
            check_url("https://[::1]/hook", false),
            Err(AddressError::NonPublic(_))
        ));
        assert_eq!(
            check_url("http://crm.example/hook", false),
            Err(AddressError::NotHttps)
        );
        assert_eq!(
            check_url("ftp://crm.example/hook", true),
            Err(AddressError::Scheme)
        );
        assert_eq!(
            check_url("https://u:p@crm.example/hook", false),
            Err(AddressError::Credentials)
        );
        assert!(check_url("https://crm.example/hook", false).is_ok());
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(matches!(
            check_url("not a url", true),
            Err(AddressError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        let url = check_url("https://localhost:9/hook", false).unwrap();
        assert!(matches!(
            check_resolved(&url, false).await,
            Err(AddressError::NonPublic(_))
        ));
        assert!(check_resolved(&url, true).await.is_ok());
    }
}
