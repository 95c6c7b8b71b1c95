//! TLS options of a listener, as Mosquitto names them: `certfile` and `keyfile` turn TLS on;
//! the CA, revocation and client-certificate options decide who may connect; `tls_version`
//! and the cipher lists what is spoken. The files are read when the broker starts (and again
//! on SIGHUP), not here, so an unusable file is reported then, at the line that named it.
//!
//! What only OpenSSL offers — engines, finite-field DH parameters — and pre-shared keys, which
//! rustls lacks, are refused with that reason.

use std::path::PathBuf;

use super::values::{boolean, one_of, set_once};
use super::{directive, unavailable, Directive};
use crate::config::parse::ParseState;
use crate::config::{CertUsername, Sourced, TlsVersion};
use crate::transport::ciphers;

pub(super) static TABLE: &[Directive] = &[
    directive! {
        name: "certfile",
        scope: Listener,
        form: "PATH",
        default: "none",
        help: "PEM server certificate, then any intermediates; with keyfile, turns TLS on for this listener.",
        example: "/etc/roost/certs/server.crt",
        apply: |s, v| {
            let value = path(s, v);
            set_once(&mut s.tls().certfile, value)?
        },
    },
    directive! {
        name: "keyfile",
        scope: Listener,
        form: "PATH",
        default: "none",
        help: "PEM private key of certfile: PKCS#1, PKCS#8 or SEC1, unencrypted.",
        example: "/etc/roost/certs/server.key",
        apply: |s, v| {
            let value = path(s, v);
            set_once(&mut s.tls().keyfile, value)?
        },
    },
    directive! {
        name: "cafile",
        scope: Listener,
        form: "PATH",
        default: "none",
        help: "PEM file of CA certificates trusted for client certificates (a presented one is checked).",
        example: "/etc/roost/certs/ca.crt",
        apply: |s, v| {
            let value = path(s, v);
            set_once(&mut s.tls().cafile, value)?
        },
    },
    directive! {
        name: "capath",
        scope: Listener,
        form: "DIRECTORY",
        default: "none",
        help: "Directory of PEM CA certificate files trusted for client certificates.",
        example: "/etc/roost/certs/ca.d",
        apply: |s, v| {
            let value = path(s, v);
            set_once(&mut s.tls().capath, value)?
        },
    },
    directive! {
        name: "crlfile",
        scope: Listener,
        form: "PATH",
        default: "none",
        help: "PEM revocation lists; a client certificate must be covered by a current one of its CA.",
        example: "/etc/roost/certs/ca.crl",
        apply: |s, v| {
            let value = path(s, v);
            set_once(&mut s.tls().crlfile, value)?
        },
    },
    unavailable! {
        name: "dhparamfile",
        scope: Listener,
        form: "PATH",
        default: "none",
        help: "DH parameters, for finite-field ephemeral DH key exchange.",
        why: "rustls has no finite-field DH; its key exchange is ECDHE, which needs no parameters; remove the line",
    },
    directive! {
        name: "ciphers",
        scope: Listener,
        form: "CIPHER:CIPHER...",
        default: "every TLS 1.2 suite rustls offers",
        help: "TLS 1.2 cipher list in OpenSSL's syntax (names, HIGH, !aNULL...); only suites rustls offers.",
        example: "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
        apply: |s, v| {
            let value = s.sourced(ciphers::tls12_list(v)?);
            set_once(&mut s.tls().ciphers, value)?
        },
    },
    directive! {
        name: "ciphers_tls1.3",
        scope: Listener,
        form: "SUITE:SUITE...",
        default: "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
        help: "TLS 1.3 cipher suites allowed, by their OpenSSL names.",
        example: "TLS_AES_256_GCM_SHA384",
        apply: |s, v| {
            let value = s.sourced(ciphers::tls13_list(v)?);
            set_once(&mut s.tls().ciphers_tls13, value)?
        },
    },
    directive! {
        name: "tls_version",
        scope: Listener,
        form: "tlsv1.3 | tlsv1.2",
        default: "tlsv1.2 (TLS 1.2 and 1.3)",
        help: "Oldest TLS version this listener accepts (tlsv1.1 is refused: rustls has no TLS 1.1).",
        example: "tlsv1.3",
        apply: |s, v| {
            let version = match v {
                "tlsv1.1" | "tlsv1" => {
                    return Err(format!(
                        "{v} is not available: rustls speaks TLS 1.2 and 1.3 only; use tlsv1.2"
                    ))
                }
                other => match one_of(other, &["tlsv1.3", "tlsv1.2"])? {
                    "tlsv1.3" => TlsVersion::Tls13,
                    _ => TlsVersion::Tls12,
                },
            };
            let value = s.sourced(version);
            set_once(&mut s.tls().version, value)?
        },
    },
    directive! {
        name: "require_certificate",
        scope: Listener,
        form: "true | false",
        default: "false",
        help: "Refuse TLS clients that present no certificate signed by cafile or capath.",
        example: "true",
        apply: |s, v| {
            let value = boolean(v)?.then(|| s.sourced(true));
            s.tls().require_certificate = value
        },
    },
    directive! {
        name: "use_identity_as_username",
        scope: Listener,
        form: "true | false",
        default: "false",
        help: "Take the user name from the client certificate's CN; the password file is not consulted.",
        example: "true",
        apply: |s, v| username_from(s, boolean(v)?, CertUsername::CommonName)?,
    },
    directive! {
        name: "use_subject_as_username",
        scope: Listener,
        form: "true | false",
        default: "false",
        help: "Take the user name from the certificate's subject, as 'CN=dev,O=Example,C=GB'.",
        example: "true",
        apply: |s, v| username_from(s, boolean(v)?, CertUsername::Subject)?,
    },
    unavailable! {
        name: "tls_engine",
        scope: Listener,
        form: "ENGINE",
        default: "none",
        help: "OpenSSL engine to use for TLS operations.",
        why: "engines are an OpenSSL feature and Roost's TLS is rustls; use a PEM keyfile",
    },
    unavailable! {
        name: "tls_engine_kpass_sha1",
        scope: Listener,
        form: "HEX-SHA1",
        default: "none",
        help: "SHA-1 of the engine's private key password.",
        why: "engines are an OpenSSL feature and Roost's TLS is rustls; use a PEM keyfile",
    },
    directive! {
        name: "tls_keyform",
        scope: Listener,
        form: "pem",
        default: "pem",
        help: "Form of keyfile: pem (engine keys are an OpenSSL feature rustls lacks).",
        example: "pem",
        apply: |_s, v| match v {
            "pem" => {}
            "engine" => {
                return Err("engine keys are an OpenSSL feature and Roost's TLS is rustls; \
                            use a PEM keyfile"
                    .into())
            }
            other => {
                one_of(other, &["pem"])?;
            }
        },
    },
    unavailable! {
        name: "psk_hint",
        scope: Listener,
        form: "TEXT",
        default: "none",
        help: "Turn on pre-shared-key TLS for this listener, with this hint sent to clients.",
        why: "rustls has no pre-shared-key TLS; use certificates (certfile, keyfile, cafile)",
    },
];

fn path(state: &ParseState, value: &str) -> Sourced<PathBuf> {
    state.sourced(PathBuf::from(value))
}

/// `use_identity_as_username` / `use_subject_as_username`: `true` sets where the user name comes
/// from; the two cannot both be on.
fn username_from(state: &mut ParseState, on: bool, from: CertUsername) -> Result<(), String> {
    let current = state.tls().cert_username();
    if !on {
        if current == from {
            state.tls().username = None;
        }
        return Ok(());
    }
    if current != CertUsername::Connect && current != from {
        return Err(
            "use_identity_as_username and use_subject_as_username cannot both be true".into(),
        );
    }
    let value = state.sourced(from);
    state.tls().username = Some(value);
    Ok(())
}
