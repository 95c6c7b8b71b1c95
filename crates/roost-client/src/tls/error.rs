//! [`TlsConfigError`]: why the TLS settings of a client could not be turned into a configuration.
//!
//! Each variant names the file or directory it was reading, so a command-line tool can print it
//! as it is. Nothing here touches the network: a handshake that fails is a
//! [`crate::ClientError::Tls`].

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Which of the TLS files a [`TlsConfigError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFile {
    /// `cafile`: PEM certificates of the authorities that may sign the broker's certificate.
    CaFile,
    /// `capath`: a directory of such PEM files.
    CaPath,
    /// The client's certificate chain (PEM).
    Certificate,
    /// The client's private key (PEM: PKCS#1, PKCS#8 or SEC1).
    Key,
}

impl TlsFile {
    fn name(self) -> &'static str {
        match self {
            TlsFile::CaFile => "CA file",
            TlsFile::CaPath => "CA directory",
            TlsFile::Certificate => "certificate file",
            TlsFile::Key => "key file",
        }
    }
}

impl std::fmt::Display for TlsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why TLS settings could not be loaded.
#[derive(Debug, Error)]
pub enum TlsConfigError {
    /// The file or directory could not be read.
    #[error("cannot read {file} {path:?}: {source}")]
    Read {
        /// Which file.
        file: TlsFile,
        /// Its path as given.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file holds no PEM item of the kind needed (or the directory no certificate at all).
    #[error("no {wanted} in {file} {path:?}")]
    Missing {
        /// Which file.
        file: TlsFile,
        /// Its path as given.
        path: PathBuf,
        /// What was looked for ("PEM certificate", "PEM private key (PKCS#1, PKCS#8 or SEC1)").
        wanted: &'static str,
    },
    /// The file is not valid PEM.
    #[error("{file} {path:?} is not valid PEM: {message}")]
    BadPem {
        /// Which file.
        file: TlsFile,
        /// Its path as given.
        path: PathBuf,
        /// What the PEM reader said.
        message: String,
    },
    /// A certificate of a CA file could not be used as a trust anchor.
    #[error("{file} {path:?} holds a certificate that cannot be a trust anchor: {source}")]
    BadCa {
        /// Which file.
        file: TlsFile,
        /// Its path as given.
        path: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
    /// No `cafile` or `capath` was given and the system's certificate store has no usable
    /// certificate.
    #[error("no CA certificates in the system's store ({details}); give a CA file or directory")]
    NoSystemRoots {
        /// What went wrong reading the store.
        details: String,
    },
    /// The private key cannot be used, or does not fit the certificate.
    #[error("the client certificate {certificate:?} and key {key:?} cannot be used: {reason}")]
    ClientAuth {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A certificate was given without a key, or a key without a certificate.
    #[error("a client certificate and its key must be given together")]
    CertificateWithoutKey,
    /// rustls refused the settings (a TLS version the crypto provider lacks, for one).
    #[error("TLS settings refused: {0}")]
    Refused(String),
}

impl TlsConfigError {
    /// True when a file or directory named in the settings does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TlsConfigError::Read { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}
