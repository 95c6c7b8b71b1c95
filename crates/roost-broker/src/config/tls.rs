//! A listener's TLS settings as the file gives them: the paths of the certificate, key, CA and
//! revocation files, the client-certificate rules and the protocol versions and cipher suites.
//! The dashboard's certificate and key (`dashboard_certfile`, `dashboard_keyfile`) use the same
//! type with only those two set.
//!
//! Each setting remembers the line that gave it, so that a file that cannot be used — found only
//! when the broker reads it at start or on SIGHUP — is reported at that line. The files are not
//! read here: the transport loads them (`transport::tls`). Two settings compare equal when their
//! values do, wherever they stand in the file.

use std::path::{Path, PathBuf};

use rustls::CipherSuite;

use crate::file_error::FileError;

/// A value and the line of the configuration file that gave it.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// The configuration file.
    pub file: PathBuf,
    /// Its line (1-based).
    pub line: usize,
}

impl<T> Sourced<T> {
    /// An error about this setting, at its line.
    pub fn error(&self, message: impl Into<String>) -> FileError {
        FileError {
            file: self.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }
}

impl<T: PartialEq> PartialEq for Sourced<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Sourced<T> {}

/// The oldest TLS version a listener accepts (`tls_version`, as Mosquitto reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3 (Mosquitto's default, and `tls_version tlsv1.2`).
    #[default]
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

/// Where a client's user name comes from on a TLS listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertUsername {
    /// From CONNECT, checked against the password file as usual.
    #[default]
    Connect,
    /// The first Common Name of the client certificate's subject (`use_identity_as_username`).
    CommonName,
    /// The whole subject in RFC 2253 form, as OpenSSL prints it (`use_subject_as_username`).
    Subject,
}

/// The TLS settings of one listener (or of the dashboard); with no `certfile` the listener
/// speaks plain MQTT (the dashboard plain HTTP).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// PEM server certificate, followed by any intermediates (`certfile`).
    pub certfile: Option<Sourced<PathBuf>>,
    /// PEM private key of `certfile`: PKCS#1, PKCS#8 or SEC1 (`keyfile`).
    pub keyfile: Option<Sourced<PathBuf>>,
    /// PEM CA certificates trusted for client certificates (`cafile`).
    pub cafile: Option<Sourced<PathBuf>>,
    /// Directory of PEM CA certificate files (`capath`).
    pub capath: Option<Sourced<PathBuf>>,
    /// PEM revocation lists checked against client certificates (`crlfile`).
    pub crlfile: Option<Sourced<PathBuf>>,
    /// Refuse clients that present no certificate (`require_certificate`).
    pub require_certificate: Option<Sourced<bool>>,
    /// Where the user name comes from (`use_identity_as_username`, `use_subject_as_username`).
    pub username: Option<Sourced<CertUsername>>,
    /// The oldest version accepted (`tls_version`).
    pub version: Option<Sourced<TlsVersion>>,
    /// TLS 1.2 suites allowed (`ciphers`), in the order given.
    pub ciphers: Option<Sourced<Vec<CipherSuite>>>,
    /// TLS 1.3 suites allowed (`ciphers_tls1.3`), in the order given.
    pub ciphers_tls13: Option<Sourced<Vec<CipherSuite>>>,
    /// What the file directives' names start with in messages: empty on a listener
    /// (`certfile`), `dashboard_` for the dashboard (`dashboard_certfile`).
    pub directive_prefix: &'static str,
}

impl TlsSettings {
    /// The name of the directive `base` (`certfile`, `keyfile`...) as these settings' file has it.
    pub(crate) fn directive(&self, base: &str) -> String {
        format!("{}{base}", self.directive_prefix)
    }

    /// True when the listener speaks TLS.
    pub fn enabled(&self) -> bool {
        self.certfile.is_some()
    }

    /// Whether clients without a certificate are refused.
    pub fn require_certificate(&self) -> bool {
        self.require_certificate.as_ref().is_some_and(|s| s.value)
    }

    /// Where the user name of this listener's clients comes from.
    pub fn cert_username(&self) -> CertUsername {
        self.username
            .as_ref()
            .map_or(CertUsername::Connect, |s| s.value)
    }

    /// The oldest TLS version accepted.
    pub fn min_version(&self) -> TlsVersion {
        self.version.as_ref().map_or(TlsVersion::Tls12, |s| s.value)
    }

    /// Checks that the settings make one usable listener; the error stands at the line of the
    /// setting that is out of place. Files are not read here.
    pub(crate) fn check(&self) -> Result<(), FileError> {
        match (&self.certfile, &self.keyfile) {
            (Some(cert), None) => {
                return Err(
                    cert.error("'certfile' needs a 'keyfile' on the same listener: TLS needs both")
                )
            }
            (None, Some(key)) => {
                return Err(
                    key.error("'keyfile' needs a 'certfile' on the same listener: TLS needs both")
                )
            }
            _ => {}
        }
        let trusts = self.cafile.is_some() || self.capath.is_some();
        if !self.enabled() {
            if let Some((name, at)) = self.first_tls_only() {
                return Err(FileError {
                    file: at.0.to_path_buf(),
                    line: at.1,
                    message: format!(
                        "'{name}' applies to TLS listeners: give this listener a 'certfile' \
                         and a 'keyfile'"
                    ),
                });
            }
            return Ok(());
        }
        let needs_ca = |name: &str| {
            format!("'{name}' needs 'cafile' or 'capath' to check client certificates against")
        };
        if let Some(require) = self.require_certificate.as_ref().filter(|r| r.value) {
            if !trusts {
                return Err(require.error(needs_ca("require_certificate true")));
            }
        }
        if let Some(crl) = self.crlfile.as_ref().filter(|_| !trusts) {
            return Err(crl.error(needs_ca("crlfile")));
        }
        if let Some(user) = self.username.as_ref().filter(|_| !trusts) {
            return Err(user.error(needs_ca(&format!("{} true", self.username_directive()))));
        }
        Ok(())
    }

    /// The directive that set where the user name comes from.
    fn username_directive(&self) -> &'static str {
        match self.cert_username() {
            CertUsername::Subject => "use_subject_as_username",
            _ => "use_identity_as_username",
        }
    }

    /// The first setting given that only a TLS listener can use, with its place.
    fn first_tls_only(&self) -> Option<(&'static str, (&Path, usize))> {
        fn at<T>(s: &Option<Sourced<T>>) -> Option<(&Path, usize)> {
            s.as_ref().map(|s| (s.file.as_path(), s.line))
        }
        let given = [
            ("cafile", at(&self.cafile)),
            ("capath", at(&self.capath)),
            ("crlfile", at(&self.crlfile)),
            ("require_certificate", at(&self.require_certificate)),
            (self.username_directive(), at(&self.username)),
            ("tls_version", at(&self.version)),
            ("ciphers", at(&self.ciphers)),
            ("ciphers_tls1.3", at(&self.ciphers_tls13)),
        ];
        given
            .into_iter()
            .filter_map(|(name, at)| at.map(|at| (name, at)))
            .min_by_key(|(_, (_, line))| *line)
    }
}
