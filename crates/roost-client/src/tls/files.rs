//! Reading the PEM files of a TLS configuration: CA certificates from a file, a directory or the
//! system's store, and the client's certificate chain and private key.
//!
//! Files are read whole and parsed here, so an I/O failure and a parse failure are told apart
//! and both name the path. A CA directory is read as OpenSSL's `capath` is meant to be used:
//! every regular file in it that holds PEM certificates counts (hashed names or not); files
//! that hold none are passed over, since such directories also keep CRLs and notes.

use std::path::Path;

use rustls::RootCertStore;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::{TlsConfigError, TlsFile};

/// What is looked for in certificate files.
const CERTIFICATE: &str = "PEM certificate";
/// What is looked for in key files.
const PRIVATE_KEY: &str = "PEM private key (PKCS#1, PKCS#8 or SEC1)";

/// Reads `path` whole, naming it in the error.
fn read(file: TlsFile, path: &Path) -> Result<Vec<u8>, TlsConfigError> {
    std::fs::read(path).map_err(|source| TlsConfigError::Read {
        file,
        path: path.to_owned(),
        source,
    })
}

fn bad_pem(file: TlsFile, path: &Path, error: &pem::Error) -> TlsConfigError {
    TlsConfigError::BadPem {
        file,
        path: path.to_owned(),
        message: error.to_string(),
    }
}

fn missing(file: TlsFile, path: &Path, wanted: &'static str) -> TlsConfigError {
    TlsConfigError::Missing {
        file,
        path: path.to_owned(),
        wanted,
    }
}

/// Every PEM certificate in `bytes` (possibly none).
fn parse_certificates(
    file: TlsFile,
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| bad_pem(file, path, &error))
}

/// The certificates of a PEM file; at least one.
pub(super) fn certificates(
    file: TlsFile,
    path: &Path,
) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let certificates = parse_certificates(file, path, &read(file, path)?)?;
    if certificates.is_empty() {
        return Err(missing(file, path, CERTIFICATE));
    }
    Ok(certificates)
}

/// The first private key of a PEM file, in any of the forms rustls takes.
pub(super) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsConfigError> {
    let bytes = read(TlsFile::Key, path)?;
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(pem::Error::NoItemsFound) => Err(missing(TlsFile::Key, path, PRIVATE_KEY)),
        Err(error) => Err(bad_pem(TlsFile::Key, path, &error)),
    }
}

/// Adds the certificates of a CA file to `roots`.
pub(super) fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsConfigError> {
    for certificate in certificates(TlsFile::CaFile, path)? {
        roots
            .add(certificate)
            .map_err(|source| TlsConfigError::BadCa {
                file: TlsFile::CaFile,
                path: path.to_owned(),
                source,
            })?;
    }
    Ok(())
}

/// Adds the certificates of every file of a CA directory to `roots`; the directory must hold at
/// least one that can be used.
pub(super) fn add_ca_dir(roots: &mut RootCertStore, dir: &Path) -> Result<(), TlsConfigError> {
    let file = TlsFile::CaPath;
    let unreadable = |source| TlsConfigError::Read {
        file,
        path: dir.to_owned(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut added = 0;
    for path in paths {
        // A file of the directory that cannot be read or is not PEM is not a CA certificate.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(certificates) = parse_certificates(file, &path, &bytes) else {
            continue;
        };
        let (ok, _ignored) = roots.add_parsable_certificates(certificates);
        added += ok;
    }
    if added == 0 {
        return Err(missing(file, dir, CERTIFICATE));
    }
    Ok(())
}

/// Adds the system's CA certificates to `roots`; fails if none can be used.
pub(super) fn add_system_roots(roots: &mut RootCertStore) -> Result<(), TlsConfigError> {
    let found = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added > 0 {
        return Ok(());
    }
    let details = if found.errors.is_empty() {
        "none found".to_owned()
    } else {
        found
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    Err(TlsConfigError::NoSystemRoots { details })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate made once with `openssl req -x509` (P-256, CN=Test CA, 10 years).
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUZLwpFNeEC2jmBvyl52JUEpIQbuYwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHVGVzdCBDQTAeFw0yNjEyMDIwOTUzMzVaFw0zNjExMjkwOTUz
MzVaMBIxEDAOBgNVBAMMB1Rlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AARP+/ekXKCYaQKqKLTaZw7f6riDFmYqVwDzO2/V6oUyirY33ZjCDxpT3tIqYltE
KbxLmCGwvclgglNuGliSZA9oo1MwUTAdBgNVHQ4EFgQUM5AJY3je1Z378IT3oGoh
1OwFJaMwHwYDVR0jBBgwFoAUM5AJY3je1Z378IT3oGoh1OwFJaMwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBTDIWqETNw3qWx6R9hLr/WTuV66U4g
lEWT8r9Xhq08RgIgUP6XIl70D1M6AE2/n0w2/MyG8jTLlFC6kCpKeq+ZpCs=
-----END CERTIFICATE-----
";

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("roost-client-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn a_missing_file_is_not_found_and_named() {
        let dir = temp_dir("missing");
        let path = dir.join("nope.pem");
        let error = certificates(TlsFile::CaFile, &path).expect_err("missing");
        assert!(error.is_not_found());
        assert!(
            error.to_string().starts_with("cannot read CA file "),
            "{error}"
        );
        assert!(error.to_string().contains("nope.pem"), "{error}");
    }

    #[test]
    fn a_file_without_pem_is_refused_with_what_was_wanted() {
        let dir = temp_dir("empty");
        let path = dir.join("notes.txt");
        std::fs::write(&path, "not a certificate\n").expect("write");
        let error = certificates(TlsFile::CaFile, &path).expect_err("no cert");
        assert!(!error.is_not_found());
        assert!(
            error
                .to_string()
                .starts_with("no PEM certificate in CA file "),
            "{error}"
        );
        let error = private_key(&path).expect_err("no key");
        assert!(
            error.to_string().contains("PKCS#1, PKCS#8 or SEC1"),
            "{error}"
        );
    }

    #[test]
    fn a_ca_directory_counts_the_files_that_hold_certificates() {
        let dir = temp_dir("capath");
        std::fs::write(dir.join("README"), "notes\n").expect("write");
        let mut roots = RootCertStore::empty();
        let error = add_ca_dir(&mut roots, &dir).expect_err("no certificate yet");
        assert!(
            error
                .to_string()
                .starts_with("no PEM certificate in CA directory"),
            "{error}"
        );
        std::fs::write(dir.join("0a1b2c3d.0"), CA_PEM).expect("write");
        add_ca_dir(&mut roots, &dir).expect("one certificate");
        assert_eq!(roots.len(), 1);
    }
}
