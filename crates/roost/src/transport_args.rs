//! The transport flags `roost pub`, `roost sub` and `roost bench` share: Mosquitto's TLS flags
//! (`--cafile --capath --cert --key --insecure --tls-version --tls-alpn --tls-use-os-certs`),
//! Roost's `--tls`, and `--ws` / `--ws-path` for MQTT over WebSocket (Mosquitto's tools have
//! none), defined once here, and turning them into a [`Transport`].
//!
//! Default ports: 1883 for TCP, 8883 for TLS, and for WebSocket 8083 (8084 over TLS), where Roost's
//! embedded WebSocket listener and EMQX's are.
//!
//! TLS is on when a CA file or directory, a client certificate, `--tls-use-os-certs` or `--tls`
//! is given, when a URL says `mqtts://`, or when the port is 8883 — as `mosquitto_pub` does,
//! except that a client certificate alone turns TLS on here, where `mosquitto_pub` would
//! silently connect without TLS and without the certificate. Loading the files is a step of its
//! own ([`load`]) so that command-line mistakes are all reported before any file is read, and
//! file problems are reported as `mosquitto_pub` reports them.

use std::path::PathBuf;

use clap::Args;
use roost_client::{
    TlsConfig, TlsConfigError, TlsOptions, TlsVersion, Transport, DEFAULT_WEBSOCKET_PATH,
};

use crate::client_args::{usage, UsageError};

/// The port of MQTT over TCP.
pub(crate) const TCP_PORT: u16 = 1883;
/// The port of MQTT over TLS, which also turns TLS on when given (as in `mosquitto_pub`).
pub(crate) const TLS_PORT: u16 = 8883;
/// The port of MQTT over WebSocket.
pub(crate) const WS_PORT: u16 = 8083;
/// The port of MQTT over WebSocket over TLS.
pub(crate) const WSS_PORT: u16 = 8084;

/// TLS and WebSocket flags.
#[derive(Debug, Default, Args)]
pub(crate) struct TransportArgs {
    /// PEM file of CA certificates the broker's certificate must chain to; turns TLS on (and
    /// makes the default port 8883).
    #[arg(long = "cafile", value_name = "FILE")]
    pub(crate) cafile: Option<PathBuf>,
    /// Directory of PEM CA certificates; turns TLS on.
    #[arg(long = "capath", value_name = "DIR")]
    pub(crate) capath: Option<PathBuf>,
    /// PEM client certificate for brokers that ask for one; needs --key; turns TLS on.
    #[arg(long = "cert", value_name = "FILE")]
    pub(crate) cert: Option<PathBuf>,
    /// PEM private key of --cert (PKCS#1, PKCS#8 or SEC1).
    #[arg(long = "key", value_name = "FILE")]
    pub(crate) key: Option<PathBuf>,
    /// Do not check that the broker's certificate names the host (its chain is still checked).
    /// For testing only.
    #[arg(long = "insecure")]
    pub(crate) insecure: bool,
    /// Lowest TLS version: tlsv1.3 or tlsv1.2 (the default; tlsv1.1 means the same here).
    #[arg(long = "tls-version", value_name = "VERSION")]
    pub(crate) tls_version: Option<String>,
    /// ALPN protocol to offer in the TLS handshake; may be repeated.
    #[arg(long = "tls-alpn", value_name = "PROTOCOL")]
    pub(crate) tls_alpn: Vec<String>,
    /// Trust the system's CA certificates too (they are used anyway without --cafile and
    /// --capath); turns TLS on.
    #[arg(long = "tls-use-os-certs")]
    pub(crate) tls_use_os_certs: bool,
    /// Use TLS (with the system's CA certificates unless --cafile or --capath is given).
    #[arg(long = "tls")]
    pub(crate) tls: bool,
    /// Speak MQTT over WebSocket (default port 8083, or 8084 with TLS).
    #[arg(long = "ws")]
    pub(crate) ws: bool,
    /// URL path of the WebSocket upgrade (default /mqtt); implies --ws.
    #[arg(long = "ws-path", value_name = "PATH")]
    pub(crate) ws_path: Option<String>,
}

/// What the flags ask for, checked but with no file read yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Plain TCP.
    Tcp,
    /// TLS with these options.
    Tls(TlsOptions),
    /// MQTT over WebSocket at this path.
    Ws(String),
    /// MQTT over WebSocket over TLS.
    Wss(TlsOptions, String),
}

impl Plan {
    /// True when the plan is TLS, with or without WebSocket.
    #[cfg(test)]
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self, Plan::Tls(_) | Plan::Wss(..))
    }

    /// The port to use when none is given.
    pub(crate) fn default_port(&self) -> u16 {
        match self {
            Plan::Tcp => TCP_PORT,
            Plan::Tls(_) => TLS_PORT,
            Plan::Ws(_) => WS_PORT,
            Plan::Wss(..) => WSS_PORT,
        }
    }
}

impl TransportArgs {
    /// True when a flag asks for TLS whatever the port.
    pub(crate) fn asks_for_tls(&self) -> bool {
        self.cafile.is_some()
            || self.capath.is_some()
            || self.cert.is_some()
            || self.tls_use_os_certs
            || self.tls
    }

    /// True when a flag asks for WebSocket.
    pub(crate) fn asks_for_websocket(&self) -> bool {
        self.ws || self.ws_path.is_some()
    }

    /// Checks the flags as `mosquitto_pub` does before connecting. `tls` says whether something
    /// else (a URL scheme, the port) asks for TLS too; `use_system_roots` whether the system's
    /// CAs are trusted in any case (`mqtts://` does that in `mosquitto_pub`); `url_path` is the
    /// path of a WebSocket URL, which asks for WebSocket.
    pub(crate) fn plan(
        &self,
        tls: bool,
        use_system_roots: bool,
        url_path: Option<String>,
    ) -> Result<Plan, UsageError> {
        if self.cert.is_some() != self.key.is_some() {
            return Err(usage(
                "Both certfile and keyfile must be provided if one of them is set.",
            ));
        }
        let version = match &self.tls_version {
            None => TlsVersion::default(),
            Some(name) => TlsVersion::from_mosquitto_name(name).ok_or_else(|| {
                usage("Problem setting TLS options, check the options are valid.")
            })?,
        };
        let path = url_path.or_else(|| {
            self.asks_for_websocket().then(|| {
                self.ws_path
                    .clone()
                    .unwrap_or_else(|| DEFAULT_WEBSOCKET_PATH.to_owned())
            })
        });
        let tls = (tls || self.asks_for_tls()).then(|| TlsOptions {
            cafile: self.cafile.clone(),
            capath: self.capath.clone(),
            use_system_roots: use_system_roots || self.tls_use_os_certs,
            certificate: self.cert.clone(),
            key: self.key.clone(),
            insecure: self.insecure,
            version,
            alpn: self.tls_alpn.clone(),
        });
        Ok(match (tls, path) {
            (None, None) => Plan::Tcp,
            (Some(tls), None) => Plan::Tls(tls),
            (None, Some(path)) => Plan::Ws(path),
            (Some(tls), Some(path)) => Plan::Wss(tls, path),
        })
    }
}

/// Why the TLS files of a plan could not be loaded, in `mosquitto_pub`'s words where it has
/// some: its first line for a missing file, then what exactly is wrong.
#[derive(Debug)]
pub(crate) struct LoadError(pub(crate) TlsConfigError);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_not_found() {
            write!(
                f,
                "Problem setting TLS options: File not found.\nError: {}",
                self.0
            )
        } else {
            write!(f, "Problem setting TLS options: {}.", self.0)
        }
    }
}

/// Reads the files `plan` names: the transport every connection of the command then shares.
pub(crate) fn load(plan: &Plan) -> Result<Transport, LoadError> {
    let tls = |options: &TlsOptions| TlsConfig::new(options.clone()).map_err(LoadError);
    Ok(match plan {
        Plan::Tcp => Transport::Tcp,
        Plan::Tls(options) => Transport::Tls(tls(options)?),
        Plan::Ws(path) => Transport::WebSocket { path: path.clone() },
        Plan::Wss(options, path) => Transport::SecureWebSocket {
            tls: tls(options)?,
            path: path.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    #[command(disable_help_flag = true)]
    struct Harness {
        #[command(flatten)]
        args: TransportArgs,
    }

    fn parse(argv: &[&str]) -> TransportArgs {
        let argv = std::iter::once("roost").chain(argv.iter().copied());
        Harness::try_parse_from(argv).expect("parses").args
    }

    #[test]
    fn no_flag_is_plain_tcp_unless_something_else_asks_for_tls() {
        assert_eq!(parse(&[]).plan(false, false, None).ok(), Some(Plan::Tcp));
        let Ok(Plan::Tls(options)) = parse(&[]).plan(true, true, None) else {
            panic!("TLS");
        };
        assert!(options.use_system_roots);
        assert!(options.cafile.is_none());
    }

    #[test]
    fn each_tls_flag_turns_tls_on() {
        for argv in [
            &["--cafile", "ca.crt"][..],
            &["--capath", "certs"],
            &["--cert", "c.crt", "--key", "c.key"],
            &["--tls-use-os-certs"],
            &["--tls"],
        ] {
            assert!(
                parse(argv)
                    .plan(false, false, None)
                    .expect("valid")
                    .is_tls(),
                "{argv:?}"
            );
        }
        // These only change how TLS is done.
        for argv in [
            &["--insecure"][..],
            &["--tls-version", "tlsv1.3"],
            &["--tls-alpn", "mqtt"],
        ] {
            assert!(!parse(argv)
                .plan(false, false, None)
                .expect("valid")
                .is_tls());
        }
    }

    #[test]
    fn websocket_flags_and_urls_choose_ws_or_wss_and_the_default_ports() {
        let plan = |argv: &[&str], url_path: Option<&str>| {
            parse(argv)
                .plan(false, false, url_path.map(str::to_owned))
                .expect("valid")
        };
        assert_eq!(plan(&["--ws"], None), Plan::Ws("/mqtt".into()));
        assert_eq!(plan(&["--ws-path", "/ws"], None), Plan::Ws("/ws".into()));
        assert_eq!(plan(&[], Some("/from-url")), Plan::Ws("/from-url".into()));
        assert!(matches!(plan(&["--ws", "--tls"], None), Plan::Wss(_, p) if p == "/mqtt"));
        let ports: Vec<u16> = [&[][..], &["--tls"], &["--ws"], &["--ws", "--tls"]]
            .iter()
            .map(|argv| plan(argv, None).default_port())
            .collect();
        assert_eq!(ports, [1883, 8883, 8083, 8084]);
    }

    #[test]
    fn options_carry_every_flag() {
        let args = parse(&[
            "--cafile",
            "ca.crt",
            "--capath",
            "certs",
            "--cert",
            "c.crt",
            "--key",
            "c.key",
            "--insecure",
            "--tls-version",
            "tlsv1.3",
            "--tls-alpn",
            "mqtt",
            "--tls-alpn",
            "x-roost",
        ]);
        let Ok(Plan::Tls(options)) = args.plan(false, false, None) else {
            panic!("TLS");
        };
        assert_eq!(
            options,
            TlsOptions {
                cafile: Some("ca.crt".into()),
                capath: Some("certs".into()),
                use_system_roots: false,
                certificate: Some("c.crt".into()),
                key: Some("c.key".into()),
                insecure: true,
                version: TlsVersion::Tls13,
                alpn: vec!["mqtt".into(), "x-roost".into()],
            }
        );
    }

    #[test]
    fn mistakes_read_as_mosquittos() {
        for argv in [&["--cert", "c.crt"][..], &["--key", "c.key"]] {
            let error = parse(argv)
                .plan(false, false, None)
                .expect_err("needs both");
            assert_eq!(
                error.0,
                "Both certfile and keyfile must be provided if one of them is set."
            );
        }
        let error = parse(&["--tls-version", "tlsv1.0"])
            .plan(false, false, None)
            .expect_err("unknown version");
        assert_eq!(
            error.0,
            "Problem setting TLS options, check the options are valid."
        );
    }

    #[test]
    fn a_missing_file_says_file_not_found_first() {
        let plan = parse(&["--cafile", "/nonexistent/roost-ca.crt"])
            .plan(false, false, None)
            .expect("valid");
        let error = load(&plan).expect_err("missing");
        let text = error.to_string();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("Problem setting TLS options: File not found.")
        );
        assert!(lines
            .next()
            .is_some_and(|l| l.contains("/nonexistent/roost-ca.crt")));
    }
}
