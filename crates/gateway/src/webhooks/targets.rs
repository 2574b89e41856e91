//! Where the gateway may send a merchant's webhooks: public addresses only,
//! so a merchant cannot point deliveries at the gateway's own network (a
//! metadata service, a database port) and read the answers back from the
//! attempt log.
//!
//! Checked twice: when an endpoint is registered ([`check_url`], a 400
//! naming `url`), and on every send, where the HTTP client resolves names
//! through [`GuardedResolver`] and connects only to the addresses it
//! checked, so a name that re-resolves to a private address later (DNS
//! rebinding) is refused too. An IP literal never reaches a resolver, so
//! [`check_url`] without DNS runs before each send as well.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

/// What an address is, for sending webhooks to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// On the internet: always allowed.
    Public,
    /// Loopback, private, unique-local or shared (CGNAT): allowed only with
    /// `allow_private_targets` (dev mode turns it on).
    Private,
    /// Link-local (cloud metadata among them), multicast, unspecified,
    /// broadcast, reserved or documentation: never.
    Never,
}

/// The rules in force.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub allow_private: bool,
    pub require_https: bool,
}

impl Policy {
    fn admits(&self, reach: Reach) -> bool {
        match reach {
            Reach::Public => true,
            Reach::Private => self.allow_private,
            Reach::Never => false,
        }
    }
}

/// Why a target was refused; the text is the 400's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("url must be https")]
    NotHttps,
    #[error("url must be an absolute http(s) URL")]
    Malformed,
    #[error("url's host does not resolve")]
    Unresolved,
    #[error(
        "url points at {0}, a private address; webhooks go to public addresses only (allow_private_targets is off)"
    )]
    Private(IpAddr),
    #[error(
        "url points at {0}, an address webhooks are never sent to (link-local, metadata, multicast or reserved)"
    )]
    Never(IpAddr),
}

/// Well-known cloud metadata addresses outside the link-local ranges.
const METADATA: [IpAddr; 2] = [
    // Alibaba Cloud, inside the shared (CGNAT) range.
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    // AWS's IPv6 instance metadata service, inside unique-local.
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
];

/// Classifies an address, unwrapping every IPv6 form that carries an IPv4
/// one (mapped, compatible, NAT64, 6to4).
pub fn reach(ip: IpAddr) -> Reach {
    if METADATA.contains(&ip) {
        return Reach::Never;
    }
    match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => reach(IpAddr::V4(v4)),
            None => reach_v6(v6),
        },
    }
}

fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    let never = a == 0 // "this network", 0.0.0.0 included
        || ip.is_link_local() // 169.254/16: cloud metadata
        || ip.is_multicast()
        || a >= 240 // reserved, and the broadcast address
        || (a, b, c) == (192, 0, 0) // IETF protocol assignments
        || (a, b, c) == (192, 0, 2) // documentation
        || (a, b, c) == (198, 51, 100)
        || (a, b, c) == (203, 0, 113)
        || (a == 198 && (b & 0xfe) == 18); // benchmarking
    let private = ip.is_loopback() || ip.is_private() || (a == 100 && (b & 0xc0) == 64); // shared, CGNAT
    if never {
        Reach::Never
    } else if private {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn reach_v6(ip: Ipv6Addr) -> Reach {
    let s = ip.segments();
    let never = ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0], s[1]) == (0x2001, 0xdb8) // documentation
        || (s[0], s[1]) == (0x2001, 0) // Teredo: an IPv4 address, obscured
        || (s[0], s[1], s[2], s[3]) == (0x100, 0, 0, 0); // discard
    let private = ip.is_loopback() || (s[0] & 0xfe00) == 0xfc00; // unique-local
    if never {
        Reach::Never
    } else if private {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// The IPv4 address an IPv6 one stands for, if any.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let last = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    // IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 are themselves.
    if s[..6] == [0; 6] && !ip.is_unspecified() && !ip.is_loopback() {
        return Some(last(s[6], s[7]));
    }
    // NAT64, well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
    if (s[0], s[1]) == (0x64, 0xff9b) {
        return Some(last(s[6], s[7]));
    }
    // 6to4: 2002:AABB:CCDD::/48.
    if s[0] == 0x2002 {
        return Some(last(s[1], s[2]));
    }
    None
}

fn judge(policy: &Policy, ip: IpAddr) -> Result<(), Refused> {
    match reach(ip) {
        r if policy.admits(r) => Ok(()),
        Reach::Never => Err(Refused::Never(ip)),
        _ => Err(Refused::Private(ip)),
    }
}

/// Checks a URL: its scheme, and its host, which is resolved when it is a
/// name and `resolve` is set. Every address a name resolves to must pass.
/// IPv4 in any spelling (decimal, octal, hex) reaches here already parsed
/// by the URL parser, as browsers parse it.
pub async fn check_url(policy: &Policy, url: &Url, resolve: bool) -> Result<(), Refused> {
    match url.scheme() {
        "https" => {}
        "http" if !policy.require_https => {}
        "http" => return Err(Refused::NotHttps),
        _ => return Err(Refused::Malformed),
    }
    match url.host().ok_or(Refused::Malformed)? {
        Host::Ipv4(ip) => judge(policy, IpAddr::V4(ip)),
        Host::Ipv6(ip) => judge(policy, IpAddr::V6(ip)),
        Host::Domain(_) if !resolve => Ok(()),
        Host::Domain(name) => {
            let port = url.port_or_known_default().unwrap_or(443);
            lookup(policy, name, port).await.map(|_| ())
        }
    }
}

/// How long a name may take to resolve.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Resolves `name` and answers its addresses if every one may be reached.
async fn lookup(policy: &Policy, name: &str, port: u16) -> Result<Vec<SocketAddr>, Refused> {
    let lookup = tokio::net::lookup_host((name, port));
    let addrs: Vec<SocketAddr> = tokio::time::timeout(LOOKUP_TIMEOUT, lookup)
        .await
        .map_err(|_| Refused::Unresolved)?
        .map_err(|_| Refused::Unresolved)?
        .collect();
    if addrs.is_empty() {
        return Err(Refused::Unresolved);
    }
    for addr in &addrs {
        judge(policy, addr.ip())?;
    }
    Ok(addrs)
}

/// The webhook client's resolver: answers only addresses [`Policy`]
/// admits, and those are what the client connects to.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: Policy,
}

impl GuardedResolver {
    pub fn new(policy: Policy) -> Arc<Self> {
        Arc::new(Self { policy })
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let addrs = lookup(&policy, name.as_str(), 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach_of(text: &str) -> Reach {
        reach(text.parse().unwrap())
    }

    #[test]
    fn every_private_spelling_is_private_and_metadata_is_never() {
        for private in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd12::1",
            "fc00::5",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
        ] {
            assert_eq!(reach_of(private), Reach::Private, "{private}");
        }
        for never in [
            "169.254.169.254",
            "169.254.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "100.100.100.200",
            "192.0.2.1",
            "::",
            "fe80::1",
            "ff02::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2001:db8::1",
        ] {
            assert_eq!(reach_of(never), Reach::Never, "{never}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(reach_of(public), Reach::Public, "{public}");
        }
    }

    #[tokio::test]
    async fn decimal_octal_and_hex_spellings_are_parsed_before_the_check() {
        let strict = Policy {
            allow_private: false,
            require_https: false,
        };
        for url in [
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://[::ffff:7f00:1]/",
            "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        ] {
            let parsed = Url::parse(url).unwrap();
            assert!(
                matches!(
                    check_url(&strict, &parsed, false).await,
                    Err(Refused::Private(_))
                ),
                "{url}"
            );
        }
        for url in [
            "http://2852039166/",
            "http://0251.0376.0251.0376/",
            "http://[fe80::1]/",
        ] {
            let parsed = Url::parse(url).unwrap();
            let lenient = Policy {
                allow_private: true,
                require_https: false,
            };
            assert!(
                matches!(
                    check_url(&lenient, &parsed, false).await,
                    Err(Refused::Never(_))
                ),
                "{url}"
            );
        }
    }

    #[tokio::test]
    async fn http_is_refused_when_https_is_required() {
        let prod = Policy {
            allow_private: false,
            require_https: true,
        };
        let url = Url::parse("http://8.8.8.8/hook").unwrap();
        assert_eq!(check_url(&prod, &url, false).await, Err(Refused::NotHttps));
        let url = Url::parse("https://8.8.8.8/hook").unwrap();
        assert_eq!(check_url(&prod, &url, false).await, Ok(()));
    }
}
