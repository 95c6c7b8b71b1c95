//! Test certificates made with the `openssl` command: a CA, a server certificate for
//! `localhost` and 127.0.0.1, one for another name, client certificates whose keys are PKCS#8,
//! SEC1 and PKCS#1 PEM, and a second CA that signed none of them. Shared by the TLS tests of
//! `roost-client` and of the `roost` binary.
//!
//! [`Certs::make`] returns `None` (after a message) when `openssl` is not installed, so callers
//! skip. Every certificate is X.509 v3 with the extensions WebPKI insists on, and is valid for
//! two days from now. The files are deleted when the [`Certs`] is dropped.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where Debian installs the command.
const OPENSSL: &str = "/usr/bin/openssl";

/// A set of test certificates in a directory of their own.
pub struct Certs {
    pub dir: PathBuf,
    /// The CA that signed every certificate below.
    pub ca: PathBuf,
    /// A CA that signed nothing here.
    pub other_ca: PathBuf,
    /// For `localhost` and `127.0.0.1`.
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// For `elsewhere.example` only, signed by [`Certs::ca`].
    pub wrong_name_cert: PathBuf,
    pub wrong_name_key: PathBuf,
    /// A client certificate (EC P-256) with its key as PKCS#8 and as SEC1 PEM.
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub client_key_sec1: PathBuf,
    /// A client certificate (RSA 2048) with its key as PKCS#1 PEM.
    pub client_rsa_cert: PathBuf,
    pub client_rsa_key: PathBuf,
}

/// Extensions of a broker's certificate for `names` (`DNS:x,IP:y`).
fn server_extensions(names: &str) -> String {
    format!(
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName={names}\n"
    )
}

/// Extensions of a client certificate.
const CLIENT_EXTENSIONS: &str = "basicConstraints=critical,CA:FALSE\n\
    keyUsage=critical,digitalSignature,keyEncipherment\n\
    extendedKeyUsage=clientAuth\n";

/// Runs `openssl args` in `dir`, failing the test with what it printed if it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new(OPENSSL)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes a self-signed CA `name`.crt / `name`.key.
fn make_ca(dir: &Path, name: &str, subject: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-days",
            "2",
            "-subj",
            subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

/// Makes `name`.crt signed by `ca` for the key `name`.key (made here as EC P-256 PKCS#8 unless
/// it exists), with `extensions`.
fn make_leaf(dir: &Path, ca: &str, name: &str, subject: &str, extensions: &str, serial: u32) {
    let key = format!("{name}.key");
    let csr = format!("{name}.csr");
    let ext = format!("{name}.ext");
    std::fs::write(dir.join(&ext), extensions).expect("write extensions");
    if dir.join(&key).exists() {
        openssl(
            dir,
            &["req", "-new", "-key", &key, "-out", &csr, "-subj", subject],
        );
    } else {
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                subject,
            ],
        );
    }
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{ca}.crt"),
            "-CAkey",
            &format!("{ca}.key"),
            "-set_serial",
            &serial.to_string(),
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &format!("{name}.crt"),
        ],
    );
}

impl Certs {
    /// Makes the certificates in a fresh directory named after `label`; `None` if `openssl` is
    /// missing.
    pub fn make(label: &str) -> Option<Certs> {
        if !Path::new(OPENSSL).exists() {
            eprintln!("SKIPPED: {OPENSSL} is not installed (apt-get install openssl)");
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "roost-certs-{}-{label}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        ));
        std::fs::create_dir_all(&dir).expect("certificate directory");
        make_ca(&dir, "ca", "/CN=Roost Test CA");
        make_ca(&dir, "other-ca", "/CN=Roost Other CA");
        make_leaf(
            &dir,
            "ca",
            "server",
            "/CN=localhost",
            &server_extensions("DNS:localhost,IP:127.0.0.1"),
            1,
        );
        make_leaf(
            &dir,
            "ca",
            "wrong-name",
            "/CN=elsewhere.example",
            &server_extensions("DNS:elsewhere.example"),
            2,
        );
        make_leaf(
            &dir,
            "ca",
            "client",
            "/CN=roost-client",
            CLIENT_EXTENSIONS,
            3,
        );
        openssl(
            &dir,
            &["ec", "-in", "client.key", "-out", "client-sec1.key"],
        );
        openssl(
            &dir,
            &["genrsa", "-traditional", "-out", "client-rsa.key", "2048"],
        );
        make_leaf(
            &dir,
            "ca",
            "client-rsa",
            "/CN=roost-client-rsa",
            CLIENT_EXTENSIONS,
            4,
        );
        let path = |name: &str| dir.join(name);
        let certs = Certs {
            ca: path("ca.crt"),
            other_ca: path("other-ca.crt"),
            server_cert: path("server.crt"),
            server_key: path("server.key"),
            wrong_name_cert: path("wrong-name.crt"),
            wrong_name_key: path("wrong-name.key"),
            client_cert: path("client.crt"),
            client_key: path("client.key"),
            client_key_sec1: path("client-sec1.key"),
            client_rsa_cert: path("client-rsa.crt"),
            client_rsa_key: path("client-rsa.key"),
            dir,
        };
        certs.check_key_forms();
        Some(certs)
    }

    /// The key files really are in the three PEM forms they are named after.
    fn check_key_forms(&self) {
        let first_line = |path: &Path| {
            std::fs::read_to_string(path)
                .expect("key file")
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(first_line(&self.client_key), "-----BEGIN PRIVATE KEY-----");
        assert_eq!(
            first_line(&self.client_key_sec1),
            "-----BEGIN EC PRIVATE KEY-----"
        );
        assert_eq!(
            first_line(&self.client_rsa_key),
            "-----BEGIN RSA PRIVATE KEY-----"
        );
    }

    /// `mosquitto.conf` lines that make the listener above them TLS with `cert` and `key`,
    /// asking clients for a certificate signed by the CA when `require_certificate`. `user root`
    /// keeps Mosquitto started as root able to read the keys (it is ignored otherwise).
    pub fn mosquitto_listener(&self, cert: &Path, key: &Path, require_certificate: bool) -> String {
        format!(
            "user root\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate {}\n",
            self.ca.display(),
            cert.display(),
            key.display(),
            require_certificate
        )
    }

    /// A path as a `&str` for command lines.
    pub fn arg(path: &Path) -> &str {
        path.to_str().expect("UTF-8 temporary path")
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
