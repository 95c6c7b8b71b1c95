//! TLS for the client: [`TlsOptions`] say what to trust and who we are, [`TlsConfig`] is them
//! loaded once (files read, rustls configured with the ring provider) and shared by every
//! connection made with it, and [`TlsConfig::connect`] runs the handshake over an open stream.
//!
//! Trust follows `mosquitto_pub`: the CAs of `cafile` and `capath`, and the system's store when
//! neither is given or `use_system_roots` asks for it too. The system's store is read with
//! rustls-native-certs (the same files OpenSSL's default paths name), not a list compiled into
//! the binary, so an administrator who adds a company CA to the system sees Roost trust it, as
//! Mosquitto's tools do. `insecure` skips only the host-name check (see [`verify`]). The server
//! name for SNI and for that check is the host the client connects to.

mod error;
mod files;
mod identity;
mod verify;

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

pub use error::{TlsConfigError, TlsFile};

/// The lowest TLS version the client will speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 or 1.3 (Mosquitto's `tlsv1.2`, its default; also what `tlsv1.1` gets, as rustls
    /// has nothing older than 1.2).
    #[default]
    Tls12,
    /// TLS 1.3 only (`tlsv1.3`).
    Tls13,
}

impl TlsVersion {
    /// Mosquitto's `--tls-version` names: `tlsv1.3`, `tlsv1.2`, `tlsv1.1` (any case).
    pub fn from_mosquitto_name(name: &str) -> Option<TlsVersion> {
        match name.to_ascii_lowercase().as_str() {
            "tlsv1.3" => Some(TlsVersion::Tls13),
            "tlsv1.2" | "tlsv1.1" => Some(TlsVersion::Tls12),
            _ => None,
        }
    }

    fn versions(self) -> &'static [&'static SupportedProtocolVersion] {
        static TLS12_UP: [&SupportedProtocolVersion; 2] =
            [&rustls::version::TLS13, &rustls::version::TLS12];
        static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        match self {
            TlsVersion::Tls12 => &TLS12_UP,
            TlsVersion::Tls13 => &TLS13_ONLY,
        }
    }
}

/// What a TLS client trusts and presents. `TlsOptions::default()` trusts the system's CAs,
/// checks the host name and presents no certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// A PEM file of CA certificates (`--cafile`).
    pub cafile: Option<PathBuf>,
    /// A directory of PEM CA certificates (`--capath`).
    pub capath: Option<PathBuf>,
    /// Trust the system's CAs as well as `cafile` and `capath` (`--tls-use-os-certs`); they are
    /// trusted anyway when neither is given.
    pub use_system_roots: bool,
    /// The client's PEM certificate chain (`--cert`); needs `key`.
    pub certificate: Option<PathBuf>,
    /// The client's PEM private key (`--key`): PKCS#1, PKCS#8 or SEC1.
    pub key: Option<PathBuf>,
    /// Do not check that the broker's certificate names the host (`--insecure`); its chain is
    /// still checked.
    pub insecure: bool,
    /// The lowest TLS version (`--tls-version`).
    pub version: TlsVersion,
    /// ALPN protocols to offer (`--tls-alpn`), most preferred first.
    pub alpn: Vec<String>,
}

/// TLS settings loaded and ready: cheap to clone, shared by every connection that uses them.
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<ClientConfig>,
    options: Arc<TlsOptions>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TlsConfig").field(&self.options).finish()
    }
}

impl TlsConfig {
    /// Reads the files `options` name and builds the rustls configuration.
    pub fn new(options: TlsOptions) -> Result<TlsConfig, TlsConfigError> {
        if options.certificate.is_some() != options.key.is_some() {
            return Err(TlsConfigError::CertificateWithoutKey);
        }
        let roots = Arc::new(roots(&options)?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(options.version.versions())
            .map_err(|e| TlsConfigError::Refused(e.to_string()))?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), Arc::clone(&provider))
                .build()
                .map_err(|e| TlsConfigError::Refused(e.to_string()))?;
        let builder = if options.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verify::AnyName::new(verifier)))
        } else {
            builder.with_webpki_verifier(verifier)
        };
        let mut config = match (&options.certificate, &options.key) {
            (Some(certificate), Some(key)) => {
                builder.with_client_cert_resolver(identity::load(certificate, key, &provider)?)
            }
            _ => builder.with_no_client_auth(),
        };
        config.alpn_protocols = options
            .alpn
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_bytes().to_vec())
            .collect();
        Ok(TlsConfig {
            config: Arc::new(config),
            options: Arc::new(options),
        })
    }

    /// The options these settings were loaded from.
    pub fn options(&self) -> &TlsOptions {
        &self.options
    }

    /// Runs the TLS handshake over `stream` with `host` as the server name (SNI, unless it is an
    /// IP address, and the name the certificate must carry).
    pub(crate) async fn connect<S>(&self, host: &str, stream: S) -> std::io::Result<TlsStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let name = ServerName::try_from(host.to_owned()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{host:?} is not a valid host name for TLS"),
            )
        })?;
        TlsConnector::from(Arc::clone(&self.config))
            .connect(name, stream)
            .await
    }
}

/// The CAs `options` trust.
fn roots(options: &TlsOptions) -> Result<RootCertStore, TlsConfigError> {
    let mut roots = RootCertStore::empty();
    if let Some(cafile) = &options.cafile {
        files::add_ca_file(&mut roots, cafile)?;
    }
    if let Some(capath) = &options.capath {
        files::add_ca_dir(&mut roots, capath)?;
    }
    if options.use_system_roots || (options.cafile.is_none() && options.capath.is_none()) {
        files::add_system_roots(&mut roots)?;
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosquitto_version_names() {
        assert_eq!(
            TlsVersion::from_mosquitto_name("tlsv1.3"),
            Some(TlsVersion::Tls13)
        );
        assert_eq!(
            TlsVersion::from_mosquitto_name("TLSv1.2"),
            Some(TlsVersion::Tls12)
        );
        assert_eq!(
            TlsVersion::from_mosquitto_name("tlsv1.1"),
            Some(TlsVersion::Tls12)
        );
        assert_eq!(TlsVersion::from_mosquitto_name("tlsv1.0"), None);
        assert_eq!(TlsVersion::from_mosquitto_name("1.3"), None);
    }

    #[test]
    fn a_certificate_needs_its_key() {
        for (certificate, key) in [(Some("client.crt"), None), (None, Some("client.key"))] {
            let options = TlsOptions {
                certificate: certificate.map(PathBuf::from),
                key: key.map(PathBuf::from),
                ..TlsOptions::default()
            };
            // Checked before any file is opened or the system's store is read.
            assert!(matches!(
                TlsConfig::new(options),
                Err(TlsConfigError::CertificateWithoutKey)
            ));
        }
    }

    #[test]
    fn a_missing_ca_file_is_reported_before_anything_else() {
        let options = TlsOptions {
            cafile: Some("/nonexistent/roost/ca.pem".into()),
            ..TlsOptions::default()
        };
        let error = TlsConfig::new(options).expect_err("missing");
        assert!(error.is_not_found(), "{error}");
    }
}
