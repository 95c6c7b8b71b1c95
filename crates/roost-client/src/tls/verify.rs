//! The server-certificate check of `insecure`, as `mosquitto_pub --insecure` does it: the
//! broker's chain must still lead to a trusted CA and be in date; only the host name is not
//! compared with the certificate.
//!
//! It wraps rustls' own WebPKI verifier and forgives exactly one error, "not valid for name",
//! which that verifier reports only after the chain has passed, so nothing else is skipped.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// Verifies the chain as WebPKI does and ignores a name mismatch.
#[derive(Debug)]
pub(super) struct AnyName {
    inner: Arc<WebPkiServerVerifier>,
}

impl AnyName {
    pub(super) fn new(inner: Arc<WebPkiServerVerifier>) -> AnyName {
        AnyName { inner }
    }
}

/// True for the errors WebPKI gives when the chain is good but the name is not in it.
fn is_name_mismatch(error: &Error) -> bool {
    matches!(
        error,
        Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(error) if is_name_mismatch(&error) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_name_mismatches_are_forgiven() {
        assert!(is_name_mismatch(&Error::InvalidCertificate(
            CertificateError::NotValidForName
        )));
        for other in [
            CertificateError::UnknownIssuer,
            CertificateError::Expired,
            CertificateError::UnknownRevocationStatus,
            CertificateError::NotValidYet,
        ] {
            assert!(!is_name_mismatch(&Error::InvalidCertificate(other)));
        }
        assert!(!is_name_mismatch(&Error::DecryptError));
    }
}
