//! TLS listener configuration: the settings each directive makes, the errors of settings that
//! do not fit together (found when the file is read), and the errors of files that cannot be used
//! (found when the broker starts, or by `--test-config`) — each at the line of the directive that
//! named the file. The files are the fixtures of tests/data/tls.

use std::path::{Path, PathBuf};

use roost_broker::check_tls;
use roost_broker::config::directives::directives;
use roost_broker::config::{parse_str, CertUsername, Config, TlsVersion};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/tls")
        .join(name)
}

fn parse(text: &str) -> Config {
    parse_str(Path::new("test.conf"), text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn error(text: &str) -> String {
    parse_str(Path::new("test.conf"), text)
        .expect_err(text)
        .to_string()
}

/// A TLS listener on line 1..3 (listener, certfile, keyfile) with `rest` after it.
fn tls_conf(cert: &str, key: &str, rest: &str) -> String {
    format!(
        "listener 8883\ncertfile {}\nkeyfile {}\n{rest}",
        fixture(cert).display(),
        fixture(key).display()
    )
}

/// The error of starting with `text`: the file parses, a file it names cannot be used.
fn start_error(text: &str) -> String {
    check_tls(&parse(text)).expect_err(text).to_string()
}

#[test]
fn certfile_and_keyfile_make_a_tls_listener() {
    let c = parse(&tls_conf("server.crt", "server.key", ""));
    let tls = &c.listeners[0].tls;
    assert!(tls.enabled());
    assert_eq!(tls.certfile.as_ref().map(|s| s.line), Some(2));
    assert_eq!(tls.min_version(), TlsVersion::Tls12);
    assert!(!tls.require_certificate());
    assert_eq!(tls.cert_username(), CertUsername::Connect);
    check_tls(&c).expect("the fixtures load");
    // A plain listener beside it stays plain.
    let c = parse(&format!(
        "listener 1883\n{}",
        tls_conf("server.crt", "server.key", "")
    ));
    assert!(!c.listeners[0].tls.enabled() && c.listeners[1].tls.enabled());
}

#[test]
fn keys_in_pkcs8_pkcs1_and_sec1_form_load() {
    for (cert, key) in [
        ("server.crt", "server.key"),
        ("server.crt", "server.sec1.key"),
        ("rsa.crt", "rsa.pkcs8.key"),
        ("rsa.crt", "rsa.pkcs1.key"),
    ] {
        check_tls(&parse(&tls_conf(cert, key, ""))).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}

#[test]
fn client_certificate_settings() {
    let ca = fixture("ca.crt");
    let crl = fixture("ca.crl");
    let c = parse(&tls_conf(
        "server.crt",
        "server.key",
        &format!(
            "cafile {}\ncrlfile {}\nrequire_certificate true\nuse_subject_as_username true\n\
             tls_version tlsv1.3\n",
            ca.display(),
            crl.display()
        ),
    ));
    let tls = &c.listeners[0].tls;
    assert!(tls.require_certificate());
    assert_eq!(tls.cert_username(), CertUsername::Subject);
    assert_eq!(tls.min_version(), TlsVersion::Tls13);
    check_tls(&c).expect("CA and CRL load");
    let c = parse(&tls_conf(
        "server.crt",
        "server.key",
        &format!(
            "capath {}\nuse_identity_as_username true\n",
            fixture("").display()
        ),
    ));
    assert_eq!(c.listeners[0].tls.cert_username(), CertUsername::CommonName);
    check_tls(&c).expect("a capath of PEM files loads");
}

#[test]
fn certfile_and_keyfile_need_each_other() {
    assert_eq!(
        error("listener 8883\ncertfile server.crt\n"),
        "test.conf:2: 'certfile' needs a 'keyfile' on the same listener: TLS needs both"
    );
    assert_eq!(
        error("listener 8883\n\nkeyfile server.key\nlistener 1883\n"),
        "test.conf:3: 'keyfile' needs a 'certfile' on the same listener: TLS needs both"
    );
}

#[test]
fn tls_options_on_a_plain_listener_are_refused() {
    assert_eq!(
        error("listener 1883\ncafile ca.crt\n"),
        "test.conf:2: 'cafile' applies to TLS listeners: give this listener a 'certfile' and \
         a 'keyfile'"
    );
    assert!(error("listener 1883\nuse_subject_as_username true\n")
        .starts_with("test.conf:2: 'use_subject_as_username' applies to TLS listeners"));
    // Off is what a plain listener does anyway.
    parse("listener 1883\nrequire_certificate false\nuse_identity_as_username false\n");
}

#[test]
fn client_certificate_options_need_a_ca() {
    let text = tls_conf("server.crt", "server.key", "require_certificate true\n");
    assert_eq!(
        error(&text),
        "test.conf:4: 'require_certificate true' needs 'cafile' or 'capath' to check client \
         certificates against"
    );
    let text = tls_conf(
        "server.crt",
        "server.key",
        "\nuse_identity_as_username true\n",
    );
    assert!(error(&text).starts_with("test.conf:5: 'use_identity_as_username true' needs"));
    let text = tls_conf("server.crt", "server.key", "crlfile ca.crl\n");
    assert!(error(&text).starts_with("test.conf:4: 'crlfile' needs 'cafile' or 'capath'"));
    let both = "cafile ca.crt\nuse_identity_as_username true\nuse_subject_as_username true\n";
    assert_eq!(
        error(&tls_conf("server.crt", "server.key", both)),
        "test.conf:6: 'use_subject_as_username true': use_identity_as_username and \
         use_subject_as_username cannot both be true (expected: use_subject_as_username true | \
         false)"
    );
}

#[test]
fn versions_and_ciphers_are_checked_at_their_line() {
    assert_eq!(
        error("listener 8883\ntls_version tlsv1.1\n"),
        "test.conf:2: 'tls_version tlsv1.1': tlsv1.1 is not available: rustls speaks TLS 1.2 \
         and 1.3 only; use tlsv1.2 (expected: tls_version tlsv1.3 | tlsv1.2)"
    );
    assert!(error("listener 8883\ntls_version sslv3\n")
        .contains("expected one of tlsv1.3, tlsv1.2, found 'sslv3'"));
    let e = error("listener 8883\n\nciphers ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA\n");
    assert!(
        e.starts_with(
            "test.conf:3: 'ciphers ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA': 'AES128-SHA' is \
             not a TLS 1.2 cipher rustls offers; available: ECDHE-ECDSA-AES256-GCM-SHA384,"
        ),
        "{e}"
    );
    assert!(
        error("listener 8883\nciphers_tls1.3 TLS_AES_128_CCM_8_SHA256\n")
            .contains("available: TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256")
    );
}

#[test]
fn what_rustls_lacks_is_refused_with_the_reason() {
    assert_eq!(
        error("listener 8883\ndhparamfile dh.pem\n"),
        "test.conf:2: 'dhparamfile' is not supported: rustls has no finite-field DH; its key \
         exchange is ECDHE, which needs no parameters; remove the line"
    );
    assert!(error("tls_engine pkcs11\n")
        .starts_with("test.conf:1: 'tls_engine' is not supported: engines are an OpenSSL"));
    assert!(error("psk_hint hint\n")
        .starts_with("test.conf:1: 'psk_hint' is not supported: rustls has no pre-shared-key"));
    assert!(error("listener 8883\ntls_keyform engine\n").contains("engine keys are an OpenSSL"));
    parse("listener 8883\ntls_keyform pem\n");
    // Every such row is refused with its reason, and the reference says so.
    let reference = roost_broker::config::reference();
    for d in directives() {
        let Some(why) = d.unavailable() else { continue };
        let e = error(&format!("{} x\n", d.name));
        assert_eq!(
            e,
            format!("test.conf:1: '{}' is not supported: {why}", d.name)
        );
        assert!(
            reference.contains(&format!("NOT SUPPORTED: {why}")),
            "{}",
            d.name
        );
    }
}

#[test]
fn a_missing_file_is_reported_at_its_directive() {
    let text = "listener 8883\ncertfile /nonexistent/server.crt\nkeyfile /nonexistent/k\n";
    assert_eq!(
        start_error(text),
        "test.conf:2: certfile '/nonexistent/server.crt': cannot read the file: No such file \
         or directory (os error 2)"
    );
    let key = fixture("missing.key");
    let text = tls_conf("server.crt", "missing.key", "");
    assert_eq!(
        start_error(&text),
        format!(
            "test.conf:3: keyfile '{}': cannot read the file: No such file or directory (os \
             error 2)",
            key.display()
        )
    );
}

#[test]
fn files_that_are_not_pem_say_so() {
    let text = tls_conf("README.md", "server.key", "");
    assert!(
        start_error(&text).ends_with(
            "README.md': no PEM certificate in the file (expected a '-----BEGIN CERTIFICATE-----' \
             block)"
        ),
        "{}",
        start_error(&text)
    );
    let text = tls_conf("server.crt", "server.crt", "");
    assert!(start_error(&text).starts_with("test.conf:3: keyfile '"));
    assert!(start_error(&text).contains("no PEM private key in the file"));
    let text = tls_conf("server.crt", "encrypted.key", "");
    assert!(start_error(&text).contains("the key is encrypted; Roost reads unencrypted keys"));
}

#[test]
fn a_key_of_another_certificate_is_refused_at_keyfile() {
    let text = tls_conf("server.crt", "other.key", "");
    assert_eq!(
        start_error(&text),
        format!(
            "test.conf:3: keyfile '{}': the key does not match the certificate of certfile '{}'",
            fixture("other.key").display(),
            fixture("server.crt").display()
        )
    );
    let text = tls_conf("rsa.crt", "server.key", "");
    assert!(start_error(&text).contains("does not match the certificate"));
}

#[test]
fn bad_ca_and_crl_files_are_reported_at_their_directive() {
    let rest = format!("cafile {}\n", fixture("server.key").display());
    let e = start_error(&tls_conf("server.crt", "server.key", &rest));
    assert!(
        e.starts_with("test.conf:4: cafile '") && e.contains("no PEM certificate"),
        "{e}"
    );
    let rest = format!(
        "cafile {}\ncrlfile {}\n",
        fixture("ca.crt").display(),
        fixture("ca.crt").display()
    );
    let e = start_error(&tls_conf("server.crt", "server.key", &rest));
    assert!(
        e.starts_with("test.conf:5: crlfile '") && e.contains("no PEM revocation list"),
        "{e}"
    );
    let rest = "capath /nonexistent/ca.d\n";
    let e = start_error(&tls_conf("server.crt", "server.key", rest));
    assert!(
        e.starts_with("test.conf:4: capath '/nonexistent/ca.d': cannot read the directory"),
        "{e}"
    );
}
