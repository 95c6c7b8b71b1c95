//! A TLS listener's rustls configuration: built from the files its settings name — certificate
//! chain, private key, CA certificates, revocation lists — and held so that a reload can swap in
//! a new one while handshakes under way finish with the old.
//!
//! Every file problem is a [`FileError`] at the line of the directive that named the file
//! (`certfile`, `keyfile`, `cafile`, `capath`, `crlfile`; `dashboard_certfile` and
//! `dashboard_keyfile` when the dashboard loads its certificate through [`TlsListener`]). Client certificates are checked as
//! Mosquitto (OpenSSL) checks them: against the CA files, a presented certificate is verified
//! even when none is required, and with a `crlfile` the client's own certificate must be
//! covered by a current revocation list of its issuer.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::{Sourced, TlsSettings, TlsVersion};
use crate::file_error::FileError;

/// The rustls configuration of one TLS listener, swapped whole on reload. Public so that the
/// dashboard (`roost-admin`) serves HTTPS from the same files, read by the same code.
#[derive(Debug)]
pub struct TlsListener {
    settings: TlsSettings,
    current: ArcSwap<ServerConfig>,
}

impl TlsListener {
    /// Reads every file `settings` names; an unusable one is an error at the line that named it.
    pub fn load(settings: &TlsSettings) -> Result<TlsListener, FileError> {
        Ok(TlsListener {
            current: ArcSwap::from_pointee(server_config(settings)?),
            settings: settings.clone(),
        })
    }

    /// The settings this listener was built from.
    pub(crate) fn settings(&self) -> &TlsSettings {
        &self.settings
    }

    /// Reads the files again; on any error the running configuration stays.
    pub fn reload(&self) -> Result<(), FileError> {
        self.current.store(Arc::new(server_config(&self.settings)?));
        Ok(())
    }

    /// What accepts the next handshake: the configuration in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.load_full())
    }
}

/// Builds a listener's rustls configuration from its settings and the files they name.
pub(crate) fn server_config(settings: &TlsSettings) -> Result<ServerConfig, FileError> {
    let (Some(certfile), Some(keyfile)) = (&settings.certfile, &settings.keyfile) else {
        return Err(FileError {
            file: PathBuf::new(),
            line: 0,
            message: format!(
                "TLS needs {} and {}",
                settings.directive("certfile"),
                settings.directive("keyfile")
            ),
        });
    };
    let (cert_name, key_name) = (
        settings.directive("certfile"),
        settings.directive("keyfile"),
    );
    let provider = Arc::new(provider(settings));
    let chain = certificates(certfile, &cert_name)?;
    if let Some(leaf) = chain.first() {
        warn_if_out_of_date(certfile, &cert_name, leaf);
    }
    let key = private_key(keyfile, &key_name)?;
    let certified = CertifiedKey::from_der(chain, key, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => keyfile.error(format!(
            "{key_name} '{}': the key does not match the certificate of {cert_name} '{}'",
            keyfile.value.display(),
            certfile.value.display()
        )),
        other => keyfile.error(format!(
            "{key_name} '{}': the key cannot be used: {other}",
            keyfile.value.display()
        )),
    })?;
    let verifier = client_verifier(settings, &provider)?;
    let versions: &[&rustls::SupportedProtocolVersion] = match settings.min_version() {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| {
            let at = settings
                .ciphers
                .as_ref()
                .map(|c| c.error(""))
                .or(settings.ciphers_tls13.as_ref().map(|c| c.error("")))
                .unwrap_or_else(|| certfile.error(""));
            FileError {
                message: format!("the cipher and version settings leave nothing to use: {e}"),
                ..at
            }
        })?;
    Ok(builder
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified))))
}

/// The ring provider with the suites `ciphers` and `ciphers_tls1.3` allow, in their order.
fn provider(settings: &TlsSettings) -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    let all = std::mem::take(&mut provider.cipher_suites);
    let pick = |tls13: bool, chosen: &Option<Sourced<Vec<rustls::CipherSuite>>>| {
        let of_version = all
            .iter()
            .filter(move |s| matches!(s, rustls::SupportedCipherSuite::Tls13(_)) == tls13);
        match chosen {
            None => of_version.copied().collect::<Vec<_>>(),
            Some(list) => list
                .value
                .iter()
                .filter_map(|id| of_version.clone().find(|s| s.suite() == *id).copied())
                .collect(),
        }
    };
    provider.cipher_suites = pick(true, &settings.ciphers_tls13);
    provider
        .cipher_suites
        .extend(pick(false, &settings.ciphers));
    provider
}

fn read(setting: &Sourced<PathBuf>, directive: &str) -> Result<Vec<u8>, FileError> {
    std::fs::read(&setting.value).map_err(|e| {
        setting.error(format!(
            "{directive} '{}': cannot read the file: {e}",
            setting.value.display()
        ))
    })
}

/// Every PEM certificate of a file, in order; a file with none is an error.
fn certificates(
    setting: &Sourced<PathBuf>,
    directive: &str,
) -> Result<Vec<CertificateDer<'static>>, FileError> {
    let bytes = read(setting, directive)?;
    let certs = pem_certificates(&bytes).map_err(|e| {
        setting.error(format!(
            "{directive} '{}': not a PEM file: {e}",
            setting.value.display()
        ))
    })?;
    if certs.is_empty() {
        return Err(setting.error(format!(
            "{directive} '{}': no PEM certificate in the file (expected a '-----BEGIN \
             CERTIFICATE-----' block)",
            setting.value.display()
        )));
    }
    for (i, cert) in certs.iter().enumerate() {
        use x509_parser::prelude::FromDer;
        if let Err(e) = x509_parser::certificate::X509Certificate::from_der(cert) {
            return Err(setting.error(format!(
                "{directive} '{}': certificate {} of the file cannot be parsed: {e}",
                setting.value.display(),
                i + 1
            )));
        }
    }
    Ok(certs)
}

/// A server certificate out of its validity still loads (OpenSSL's servers serve it too), but
/// clients will refuse it: say so once, when it is read.
fn warn_if_out_of_date(setting: &Sourced<PathBuf>, directive: &str, leaf: &CertificateDer<'_>) {
    use x509_parser::prelude::FromDer;
    let Ok((_, cert)) = x509_parser::certificate::X509Certificate::from_der(leaf) else {
        return;
    };
    let validity = cert.validity();
    if !validity.is_valid() {
        tracing::warn!(
            "{directive} '{}': the server certificate is valid from {} to {} only; clients \
             will refuse it",
            setting.value.display(),
            validity.not_before,
            validity.not_after
        );
    }
}

fn pem_certificates(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The private key of a PEM file: PKCS#1, PKCS#8 or SEC1.
fn private_key(
    setting: &Sourced<PathBuf>,
    directive: &str,
) -> Result<PrivateKeyDer<'static>, FileError> {
    let bytes = read(setting, directive)?;
    let shown = setting.value.display();
    let text = String::from_utf8_lossy(&bytes);
    if text.contains("ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(setting.error(format!(
            "{directive} '{shown}': the key is encrypted; Roost reads unencrypted keys only \
             (decrypt it with 'openssl pkey -in {shown} -out PLAIN.pem')"
        )));
    }
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        let why = match e {
            rustls::pki_types::pem::Error::NoItemsFound => "no PEM private key in the file \
                 (expected a '-----BEGIN PRIVATE KEY-----', '-----BEGIN RSA PRIVATE KEY-----' \
                 or '-----BEGIN EC PRIVATE KEY-----' block)"
                .to_string(),
            other => format!("not a PEM file: {other}"),
        };
        setting.error(format!("{directive} '{shown}': {why}"))
    })
}

/// How client certificates are checked: not at all without CA files; otherwise against them,
/// required or not, with the revocation lists of `crlfile`.
fn client_verifier(
    settings: &TlsSettings,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, FileError> {
    let mut roots = RootCertStore::empty();
    if let Some(cafile) = &settings.cafile {
        add_roots(
            &mut roots,
            cafile,
            "cafile",
            &certificates(cafile, "cafile")?,
        )?;
    }
    if let Some(capath) = &settings.capath {
        let certs = directory_certificates(capath)?;
        add_roots(&mut roots, capath, "capath", &certs)?;
    }
    let anchor = settings.cafile.as_ref().or(settings.capath.as_ref());
    let Some(anchor) = anchor else {
        return Ok(WebPkiClientVerifier::no_client_auth());
    };
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone());
    if let Some(crlfile) = &settings.crlfile {
        builder = builder
            .with_crls(revocation_lists(crlfile)?)
            .only_check_end_entity_revocation()
            .enforce_revocation_expiration();
    }
    if !settings.require_certificate() {
        builder = builder.allow_unauthenticated();
    }
    builder.build().map_err(|e| {
        let at = settings.crlfile.as_ref().unwrap_or(anchor);
        at.error(format!(
            "'{}': cannot check client certificates with these files: {e}",
            at.value.display()
        ))
    })
}

/// Adds the CA certificates webpki can use; a bundle with some it cannot (old v1 roots in a
/// system bundle) is taken for the rest, as OpenSSL would, but one with none is an error.
fn add_roots(
    roots: &mut RootCertStore,
    setting: &Sourced<PathBuf>,
    directive: &str,
    certs: &[CertificateDer<'static>],
) -> Result<(), FileError> {
    let (added, _unusable) = roots.add_parsable_certificates(certs.iter().cloned());
    if added == 0 {
        return Err(setting.error(format!(
            "{directive} '{}': no certificate in it can be used as a CA",
            setting.value.display()
        )));
    }
    Ok(())
}

/// The certificates of every PEM file in a `capath` directory (files with no certificate, such
/// as a README, are passed over).
fn directory_certificates(
    setting: &Sourced<PathBuf>,
) -> Result<Vec<CertificateDer<'static>>, FileError> {
    let shown = setting.value.display();
    let entries = std::fs::read_dir(&setting.value)
        .map_err(|e| setting.error(format!("capath '{shown}': cannot read the directory: {e}")))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut certs = Vec::new();
    for path in &paths {
        let bytes = std::fs::read(path).map_err(|e| {
            setting.error(format!(
                "capath '{shown}': cannot read '{}': {e}",
                path.display()
            ))
        })?;
        if let Ok(found) = pem_certificates(&bytes) {
            certs.extend(found);
        }
    }
    if certs.is_empty() {
        return Err(setting.error(format!(
            "capath '{shown}': no PEM certificate in any file of the directory"
        )));
    }
    Ok(certs)
}

fn revocation_lists(
    setting: &Sourced<PathBuf>,
) -> Result<Vec<CertificateRevocationListDer<'static>>, FileError> {
    let bytes = read(setting, "crlfile")?;
    let shown = setting.value.display();
    let crls = CertificateRevocationListDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setting.error(format!("crlfile '{shown}': not a PEM file: {e}")))?;
    if crls.is_empty() {
        return Err(setting.error(format!(
            "crlfile '{shown}': no PEM revocation list in the file (expected a '-----BEGIN \
             X509 CRL-----' block)"
        )));
    }
    Ok(crls)
}
