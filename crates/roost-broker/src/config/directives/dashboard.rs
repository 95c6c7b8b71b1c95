//! Roost's own directives for the HTTP dashboard and API (Mosquitto has none): where it listens,
//! where it keeps its logins, and the certificate and key that make it HTTPS. With no
//! configuration file the dashboard runs on 127.0.0.1:18083; with a file, only when the file has
//! a `dashboard_listener` line. The certificate files are read when the dashboard starts (and on
//! SIGHUP), by the broker's TLS loader, not here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::values::{number, set_once};
use super::{directive, Directive};
use crate::config::address::host_address;
use crate::config::parse::ParseState;
use crate::config::DashboardSettings;
use crate::file_error::FileError;

/// What the dashboard's TLS directives are called: `dashboard_` and the listener's name.
const PREFIX: &str = "dashboard_";

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "dashboard_listener",
        scope: Global,
        form: "PORT [ADDRESS | HOSTNAME]",
        default: "127.0.0.1:18083 without a configuration file, else none",
        help: "Serve the dashboard and the HTTP API (/api/v5) on PORT, on one address or on every interface.",
        example: "18083 127.0.0.1",
        apply: |s, v| dashboard_listener(s, v)?,
    },
    directive! {
        name: "dashboard_auth_file",
        scope: Global,
        form: "PATH",
        default: "$XDG_DATA_HOME/roost/dashboard.json (~/.local/share/roost/dashboard.json)",
        help: "Keep the dashboard's logins (hashed) and API keys in PATH; created on first use.",
        example: "/var/lib/roost/dashboard.json",
        apply: |s, v| set_once(&mut s.config.dashboard.auth_file, v.into())?,
    },
    directive! {
        name: "dashboard_token_expiry",
        scope: Global,
        form: "1..31536000",
        default: "3600",
        help: "Seconds a dashboard login lasts before the token it gave is refused (TOKEN_TIME_OUT).",
        example: "600",
        apply: |s, v| {
            let secs: u32 = number(v)?;
            if !(1..=31_536_000).contains(&secs) {
                return Err(format!("'{v}' is out of range"));
            }
            set_once(&mut s.config.dashboard.token_expiry, Duration::from_secs(secs.into()))?;
        },
    },
    directive! {
        name: "dashboard_certfile",
        scope: Global,
        form: "PATH",
        default: "none (plain HTTP)",
        help: "PEM certificate, then any intermediates; with dashboard_keyfile, the dashboard and API speak HTTPS only.",
        example: "/etc/roost/certs/dashboard.crt",
        apply: |s, v| {
            let value = s.sourced(PathBuf::from(v));
            s.config.dashboard.tls.directive_prefix = PREFIX;
            set_once(&mut s.config.dashboard.tls.certfile, value)?
        },
    },
    directive! {
        name: "dashboard_keyfile",
        scope: Global,
        form: "PATH",
        default: "none (plain HTTP)",
        help: "PEM private key of dashboard_certfile: PKCS#1, PKCS#8 or SEC1, unencrypted.",
        example: "/etc/roost/certs/dashboard.key",
        apply: |s, v| {
            let value = s.sourced(PathBuf::from(v));
            s.config.dashboard.tls.directive_prefix = PREFIX;
            set_once(&mut s.config.dashboard.tls.keyfile, value)?
        },
    },
];

/// Once the file is read: the dashboard's certificate and key come together, and only where
/// there is a dashboard to serve them.
pub(crate) fn check(dashboard: &DashboardSettings) -> Result<(), FileError> {
    let tls = &dashboard.tls;
    match (&tls.certfile, &tls.keyfile) {
        (Some(cert), None) => {
            Err(cert
                .error("'dashboard_certfile' needs a 'dashboard_keyfile' too: HTTPS needs both"))
        }
        (None, Some(key)) => {
            Err(key.error("'dashboard_keyfile' needs a 'dashboard_certfile' too: HTTPS needs both"))
        }
        (Some(cert), Some(_)) if dashboard.listener.is_none() => Err(cert.error(
            "'dashboard_certfile' applies to the dashboard: add 'dashboard_listener PORT' \
             to serve it",
        )),
        _ => Ok(()),
    }
}

/// `dashboard_listener PORT [ADDRESS]`: given once; no address means every interface.
fn dashboard_listener(s: &mut ParseState, value: &str) -> Result<(), String> {
    let mut words = value.split_whitespace();
    let port: u16 = number(words.next().unwrap_or_default())?;
    let ip = match words.next() {
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Some(host) => host_address(host, port, None)?,
    };
    if let Some(extra) = words.next() {
        return Err(format!("unexpected '{extra}' after the address"));
    }
    set_once(&mut s.config.dashboard.listener, SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{parse_str, Config, DEFAULT_DASHBOARD};

    fn parse(text: &str) -> Result<Config, String> {
        parse_str(Path::new("t.conf"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn no_file_means_the_embedded_dashboard() {
        let config = Config::default();
        assert_eq!(config.dashboard.listener, Some(DEFAULT_DASHBOARD));
        assert!(config.dashboard.embedded);
    }

    #[test]
    fn a_file_without_the_line_has_no_dashboard() {
        let config = parse("listener 1883\n").expect("valid");
        assert_eq!(config.dashboard.listener, None);
        assert!(!config.dashboard.embedded);
    }

    #[test]
    fn listener_with_and_without_address() {
        let config = parse("dashboard_listener 18084 127.0.0.1\n").expect("valid");
        assert_eq!(
            config.dashboard.listener,
            Some("127.0.0.1:18084".parse().expect("addr"))
        );
        let config = parse("dashboard_listener 8080\n").expect("valid");
        assert_eq!(
            config.dashboard.listener,
            Some("0.0.0.0:8080".parse().expect("addr"))
        );
    }

    #[test]
    fn bad_listener_lines_are_refused_with_the_line() {
        for bad in [
            "dashboard_listener\n",
            "dashboard_listener x\n",
            "dashboard_listener 70000\n",
            "dashboard_listener 1 127.0.0.1 extra\n",
            "dashboard_listener 1\ndashboard_listener 2\n",
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.starts_with("t.conf:"), "{error}");
            assert!(error.contains("dashboard_listener"), "{error}");
        }
    }

    #[test]
    fn auth_file_is_kept_and_given_once() {
        let config = parse("dashboard_auth_file /tmp/d.json\n").expect("valid");
        assert_eq!(
            config.dashboard.auth_file.as_deref(),
            Some(Path::new("/tmp/d.json"))
        );
        assert!(parse("dashboard_auth_file a\ndashboard_auth_file b\n").is_err());
    }

    #[test]
    fn a_changed_dashboard_needs_a_restart() {
        let old = parse("dashboard_listener 18083\n").expect("valid");
        let new = parse("dashboard_listener 18084\n").expect("valid");
        let refused = crate::config::restart_needed(&old, &new);
        assert!(
            refused.iter().any(|r| r.starts_with("dashboard_listener")),
            "{refused:?}"
        );
        assert!(crate::config::restart_needed(&old, &old).is_empty());
    }

    #[test]
    fn certfile_and_keyfile_make_it_https() {
        let config = parse(
            "dashboard_listener 18083\ndashboard_certfile /c.pem\ndashboard_keyfile /k.pem\n",
        )
        .expect("valid");
        let tls = &config.dashboard.tls;
        assert!(tls.enabled());
        let cert = tls.certfile.as_ref().expect("certfile");
        assert_eq!((cert.value.as_path(), cert.line), (Path::new("/c.pem"), 2));
        let key = tls.keyfile.as_ref().expect("keyfile");
        assert_eq!((key.value.as_path(), key.line), (Path::new("/k.pem"), 3));
        assert_eq!(tls.directive("keyfile"), "dashboard_keyfile");
        assert!(!parse("dashboard_listener 1\n")
            .expect("valid")
            .dashboard
            .tls
            .enabled());
    }

    #[test]
    fn certfile_without_keyfile_is_refused_at_its_line() {
        let error =
            parse("dashboard_listener 1\n\ndashboard_certfile /c.pem\n").expect_err("no keyfile");
        assert!(error.starts_with("t.conf:3:"), "{error}");
        assert!(error.contains("'dashboard_keyfile'"), "{error}");
        let error =
            parse("dashboard_listener 1\ndashboard_keyfile /k.pem\n").expect_err("no certfile");
        assert!(error.starts_with("t.conf:2:"), "{error}");
        assert!(error.contains("'dashboard_certfile'"), "{error}");
    }

    #[test]
    fn certfile_needs_a_dashboard_and_is_given_once() {
        let error = parse("dashboard_certfile /c.pem\ndashboard_keyfile /k.pem\n")
            .expect_err("no dashboard");
        assert!(error.starts_with("t.conf:1:"), "{error}");
        assert!(error.contains("dashboard_listener"), "{error}");
        for twice in ["dashboard_certfile", "dashboard_keyfile"] {
            let text = format!("dashboard_listener 1\n{twice} /a\n{twice} /b\n");
            let error = parse(&text).expect_err(twice);
            assert!(error.starts_with("t.conf:3:"), "{error}");
            assert!(error.contains(twice), "{error}");
        }
    }

    #[test]
    fn a_changed_dashboard_certificate_needs_a_restart() {
        let old = parse("dashboard_listener 1\ndashboard_certfile /c\ndashboard_keyfile /k\n")
            .expect("valid");
        let new = parse("dashboard_listener 1\ndashboard_certfile /d\ndashboard_keyfile /k\n")
            .expect("valid");
        let refused = crate::config::restart_needed(&old, &new);
        assert!(
            refused.iter().any(|r| r.contains("dashboard_certfile")),
            "{refused:?}"
        );
    }

    #[test]
    fn token_expiry_in_range() {
        let config = parse("dashboard_token_expiry 2\n").expect("valid");
        assert_eq!(
            config.dashboard.token_expiry,
            Some(std::time::Duration::from_secs(2))
        );
        for bad in ["0", "-1", "31536001", "x"] {
            assert!(
                parse(&format!("dashboard_token_expiry {bad}\n")).is_err(),
                "{bad}"
            );
        }
    }
}
