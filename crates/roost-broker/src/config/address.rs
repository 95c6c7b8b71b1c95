//! Addresses for listeners: host names resolved, and the address a network interface has, as
//! Mosquitto finds them (getifaddrs, interface names compared without case) when it binds.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use super::SocketDomain;

/// The IP version of `ip`.
pub(super) fn family_of(ip: IpAddr) -> SocketDomain {
    match ip {
        IpAddr::V4(_) => SocketDomain::Ipv4,
        IpAddr::V6(_) => SocketDomain::Ipv6,
    }
}

/// How errors name an IP version.
pub(super) fn family_name(domain: SocketDomain) -> &'static str {
    match domain {
        SocketDomain::Ipv4 => "IPv4",
        SocketDomain::Ipv6 => "IPv6",
    }
}

/// The address of `host`: an IP address, `localhost`, or a name resolved now (the first address
/// of the wanted family).
pub(super) fn host_address(
    host: &str,
    port: u16,
    domain: Option<SocketDomain>,
) -> Result<IpAddr, String> {
    if host == "localhost" {
        return Ok(match domain {
            Some(SocketDomain::Ipv6) => Ipv6Addr::LOCALHOST.into(),
            _ => Ipv4Addr::LOCALHOST.into(),
        });
    }
    let wanted = |ip: &IpAddr| domain.is_none() || domain == Some(family_of(*ip));
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match domain {
            Some(d) if !wanted(&ip) => Err(format!(
                "'{host}' is an {} address but socket_domain is {}",
                family_name(family_of(ip)),
                family_name(d)
            )),
            _ => Ok(ip),
        };
    }
    let found = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{host}': {e}"))?
        .map(|addr| addr.ip())
        .find(wanted);
    found.ok_or_else(|| match domain {
        Some(d) => format!("'{host}' has no {} address", family_name(d)),
        None => format!("'{host}' has no address"),
    })
}

/// The address network interface `name` has (names compared without case, as Mosquitto does):
/// of `family` if given, else IPv4 first.
pub(super) fn interface_address(
    name: &str,
    family: Option<SocketDomain>,
) -> Result<IpAddr, String> {
    let all = nix::ifaddrs::getifaddrs()
        .map_err(|e| format!("cannot list the network interfaces: {e}"))?;
    let mut names: Vec<String> = Vec::new();
    let mut addresses: Vec<IpAddr> = Vec::new();
    for entry in all {
        if !names.contains(&entry.interface_name) {
            names.push(entry.interface_name.clone());
        }
        if !entry.interface_name.eq_ignore_ascii_case(name) {
            continue;
        }
        let Some(address) = entry.address else {
            continue;
        };
        if let Some(v4) = address.as_sockaddr_in() {
            addresses.push(IpAddr::V4(v4.ip()));
        } else if let Some(v6) = address.as_sockaddr_in6() {
            addresses.push(IpAddr::V6(v6.ip()));
        }
    }
    if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
        return Err(format!(
            "there is no network interface '{name}' (there are: {})",
            names.join(", ")
        ));
    }
    let pick = |d: SocketDomain| addresses.iter().copied().find(|ip| family_of(*ip) == d);
    let found = match family {
        Some(d) => pick(d),
        None => pick(SocketDomain::Ipv4).or_else(|| pick(SocketDomain::Ipv6)),
    };
    found.ok_or_else(|| match family {
        Some(d) => format!("interface '{name}' has no {} address", family_name(d)),
        None => format!("interface '{name}' has no IP address"),
    })
}
