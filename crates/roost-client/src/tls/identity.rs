//! The client's certificate and key, for brokers that ask for one (`require_certificate true`).
//!
//! rustls' own loader refuses a certificate that WebPKI cannot parse, such as the X.509 v1
//! certificates `openssl x509 -req` makes without an extension file; OpenSSL, and so Mosquitto's
//! tools, present those without complaint, and it is the broker's business to accept them or
//! not. So the key is loaded here and compared with the certificate's public key whenever the
//! certificate can be parsed; only a key that is known not to match is refused.

use std::path::Path;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{Error, InconsistentKeys};

use super::error::{TlsConfigError, TlsFile};
use super::files;

/// Loads the certificate chain at `certificate` and the key at `key` into a resolver that
/// always presents them.
pub(super) fn load(
    certificate: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<dyn ResolvesClientCert>, TlsConfigError> {
    let chain = files::certificates(TlsFile::Certificate, certificate)?;
    let refused = |reason: String| TlsConfigError::ClientAuth {
        certificate: certificate.to_owned(),
        key: key.to_owned(),
        reason,
    };
    let signing_key = provider
        .key_provider
        .load_private_key(files::private_key(key)?)
        .map_err(|e| refused(e.to_string()))?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Err(Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            Err(refused("the key is not the certificate's".to_owned()))
        }
        // Matching, or not known either way (a certificate WebPKI cannot parse).
        _ => Ok(Arc::new(SingleCertAndKey::from(certified))),
    }
}
