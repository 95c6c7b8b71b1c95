//! The names `roost cert` puts in certificates: checks for `--name` (DNS host names), `--ip`
//! and client names, each failing with the flag, the value and what would be valid, and the
//! default server names (localhost, this machine's host name, 127.0.0.1 and ::1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::issue::Sans;

/// File names `roost cert` keeps for itself: a client of these names would overwrite them.
const RESERVED: [&str; 2] = ["ca", "server"];

/// Checks one `--name`: a DNS host name (letters, digits, hyphens, dots; `*.` may lead for a
/// wildcard), as clients match it against the host they were told to connect to.
pub(crate) fn parse_dns_name(value: &str) -> Result<String, String> {
    if value.parse::<IpAddr>().is_ok() {
        return Err(format!(
            "{value} is an IP address: give it with --ip {value} (clients look up addresses \
             only among IP entries)"
        ));
    }
    let name = value.strip_suffix('.').unwrap_or(value);
    let labels = name.strip_prefix("*.").unwrap_or(name);
    let valid = !labels.is_empty()
        && name.len() <= 253
        && labels.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a host name: use letters, digits, hyphens and dots, \
             like broker.example.com (a leading *. makes a wildcard)"
        ))
    }
}

/// Checks one `--ip`.
pub(crate) fn parse_ip(value: &str) -> Result<IpAddr, String> {
    value.parse().map_err(|_| {
        format!(
            "{value:?} is not an IP address (like 192.0.2.10 or 2001:db8::1); \
             give host names with --name"
        )
    })
}

/// Checks a client name: it becomes the certificate's common name (the MQTT username under
/// `use_identity_as_username true`) and the files NAME.crt and NAME.key.
pub(crate) fn parse_client_name(value: &str) -> Result<String, String> {
    if RESERVED.contains(&value) {
        return Err(format!(
            "{value:?} is taken by {value}.crt and {value}.key, the {value}'s own files; \
             pick another client name"
        ));
    }
    let valid = (1..=64).contains(&value.len())
        && !value.starts_with('.')
        && !value.starts_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@+".contains(&b));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a client name: use 1 to 64 letters, digits and . _ - @ + \
             (it names the files NAME.crt and NAME.key)"
        ))
    }
}

/// The server names given on the command line, or the defaults when none were: localhost,
/// `host_name` (if it is a usable DNS name), 127.0.0.1 and ::1.
pub(crate) fn server_sans(names: &[String], ips: &[IpAddr], host_name: Option<&str>) -> Sans {
    if !names.is_empty() || !ips.is_empty() {
        return Sans {
            names: names.to_vec(),
            ips: ips.to_vec(),
        };
    }
    let mut default_names = vec!["localhost".to_owned()];
    if let Some(host) = host_name.and_then(|h| parse_dns_name(h).ok()) {
        if !host.eq_ignore_ascii_case("localhost") {
            default_names.push(host);
        }
    }
    Sans {
        names: default_names,
        ips: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
    }
}

/// This machine's host name, if it has one that is valid UTF-8.
pub(crate) fn host_name() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_are_checked() {
        assert_eq!(
            parse_dns_name("broker.example.com"),
            Ok("broker.example.com".into())
        );
        assert_eq!(parse_dns_name("*.example.com"), Ok("*.example.com".into()));
        assert_eq!(parse_dns_name("localhost."), Ok("localhost".into()));
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a-.com",
            "under_score",
            "sp ace",
            "*",
            "é.com",
        ] {
            assert!(parse_dns_name(bad).is_err(), "{bad}");
        }
        assert!(parse_dns_name(&"a".repeat(64)).is_err());
        let error = parse_dns_name("10.0.0.5").expect_err("an IP");
        assert!(error.contains("--ip 10.0.0.5"), "{error}");
    }

    #[test]
    fn ips_are_checked() {
        assert_eq!(parse_ip("::1"), Ok(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        let error = parse_ip("localhost").expect_err("a name");
        assert!(error.contains("--name"), "{error}");
        assert!(parse_ip("300.1.1.1").is_err());
    }

    #[test]
    fn client_names_are_file_names_and_not_the_cas() {
        assert_eq!(
            parse_client_name("alice@example.com"),
            Ok("alice@example.com".into())
        );
        for bad in ["", ".hidden", "a/b", "../x", "-x", "ca", "server", "sp ace"] {
            assert!(parse_client_name(bad).is_err(), "{bad}");
        }
        assert!(parse_client_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn defaults_only_when_nothing_is_given() {
        let defaults = server_sans(&[], &[], Some("box1"));
        assert_eq!(defaults.names, ["localhost", "box1"]);
        assert_eq!(defaults.ips.len(), 2);
        let odd_host = server_sans(&[], &[], Some("my_box"));
        assert_eq!(odd_host.names, ["localhost"]);
        let given = server_sans(&["b.example".into()], &[], Some("box1"));
        assert_eq!(given.names, ["b.example"]);
        assert!(given.ips.is_empty());
    }
}
