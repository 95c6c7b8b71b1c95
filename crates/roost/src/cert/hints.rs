//! What `roost cert` prints after writing files: each file and what it is for, the
//! `mosquitto.conf` lines that use them (with absolute paths) and the `mosquitto_sub`,
//! `mosquitto_pub` and `roost sub` commands that try them, so that the step after
//! "make certificates" in any Mosquitto TLS tutorial can be pasted as it stands.

use std::fmt::Write;
use std::path::Path;

use time::OffsetDateTime;

/// The port the printed configuration listens on: MQTT over TLS's registered port.
pub(crate) const TLS_PORT: u16 = 8883;

/// One file just written, for the list at the top.
#[derive(Debug)]
pub(crate) struct Made {
    pub(crate) file: String,
    pub(crate) what: String,
}

impl Made {
    /// A certificate file: `what` it is, valid until `not_after`.
    pub(crate) fn cert(file: String, what: &str, not_after: OffsetDateTime) -> Made {
        Made {
            file,
            what: format!("{what}; valid until {}", not_after.date()),
        }
    }

    /// A private key file.
    pub(crate) fn key(file: String, what: &str) -> Made {
        Made {
            file,
            what: format!("{what} (mode 0600)"),
        }
    }
}

/// The whole text printed after writing `made` into `dir`. `host` is what clients connect to
/// (a name in the server certificate); `client`, the name of a client certificate in `dir`,
/// adds `require_certificate` and the `--cert`/`--key` flags.
pub(crate) fn report(dir: &Path, made: &[Made], host: &str, client: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Wrote to {}:", dir.display());
    let width = made.iter().map(|m| m.file.len()).max().unwrap_or(0);
    for m in made {
        let _ = writeln!(out, "  {:width$}  {}", m.file, m.what);
    }
    let path = |file: &str| dir.join(file).display().to_string();
    let _ = writeln!(
        out,
        "\nIn mosquitto.conf (roost broker -c reads the same lines):\n"
    );
    let _ = writeln!(out, "  listener {TLS_PORT}");
    let _ = writeln!(out, "  certfile {}", path("server.crt"));
    let _ = writeln!(out, "  keyfile {}", path("server.key"));
    let _ = writeln!(out, "  cafile {}", path("ca.crt"));
    if let Some(client) = client {
        let _ = writeln!(out, "  require_certificate true");
        let _ = writeln!(
            out,
            "  # optional: the certificate's name ({}) becomes the MQTT username\n  \
             use_identity_as_username true",
            client
        );
    }
    let _ = writeln!(
        out,
        "\n  Mosquitto started as root (as Debian's service is) reads keyfile as user mosquitto;\n  \
         give it the key with: sudo chown mosquitto {}",
        path("server.key")
    );
    let mut tls = format!("-h {host} -p {TLS_PORT} --cafile {}", path("ca.crt"));
    if let Some(client) = client {
        let _ = write!(
            tls,
            " --cert {} --key {}",
            path(&format!("{}.crt", client)),
            path(&format!("{}.key", client))
        );
    }
    let _ = writeln!(out, "\nTry it, each in its own terminal:\n");
    let _ = writeln!(out, "  mosquitto_sub {tls} -t test -v");
    let _ = writeln!(out, "  mosquitto_pub {tls} -t test -m hello");
    let _ = writeln!(out, "  roost sub {tls} -t test -v");
    if client.is_none() {
        let _ = writeln!(
            out,
            "\nTo let in only clients with a certificate: `roost cert client NAME --dir {}`, \
             then add `require_certificate true`.",
            dir.display()
        );
    }
    out
}

/// What is printed after `roost cert ca`: the two files and the commands that use them.
pub(crate) fn after_ca(dir: &Path, made: &[Made]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Wrote to {}:", dir.display());
    let width = made.iter().map(|m| m.file.len()).max().unwrap_or(0);
    for m in made {
        let _ = writeln!(out, "  {:width$}  {}", m.file, m.what);
    }
    let _ = writeln!(
        out,
        "\nNext: `roost cert server --dir {0}` for the broker and `roost cert client NAME --dir {0}` \
         for each client.",
        dir.display()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made() -> Vec<Made> {
        vec![Made {
            file: "ca.crt".into(),
            what: "CA".into(),
        }]
    }

    #[test]
    fn server_only_prints_paths_and_commands_without_client_flags() {
        let text = report(Path::new("/srv/certs"), &made(), "localhost", None);
        assert!(text.contains("\n  listener 8883\n"), "{text}");
        assert!(
            text.contains("\n  certfile /srv/certs/server.crt\n"),
            "{text}"
        );
        assert!(
            text.contains("\n  keyfile /srv/certs/server.key\n"),
            "{text}"
        );
        assert!(text.contains("\n  cafile /srv/certs/ca.crt\n"), "{text}");
        assert!(text.contains(
            "\n  mosquitto_sub -h localhost -p 8883 --cafile /srv/certs/ca.crt -t test -v\n"
        ));
        assert!(!text.contains("--cert "), "{text}");
        assert!(!text.contains("\n  require_certificate true"), "{text}");
    }

    #[test]
    fn client_adds_require_certificate_and_cert_flags() {
        let text = report(Path::new("/c"), &made(), "broker.example", Some("alice"));
        assert!(text.contains("\n  require_certificate true\n"), "{text}");
        assert!(
            text.contains("\n  use_identity_as_username true\n"),
            "{text}"
        );
        assert!(text.contains(
            "\n  mosquitto_pub -h broker.example -p 8883 --cafile /c/ca.crt \
             --cert /c/alice.crt --key /c/alice.key -t test -m hello\n"
        ));
        assert!(text.contains("\n  roost sub -h broker.example -p 8883 --cafile /c/ca.crt --cert"));
    }
}
