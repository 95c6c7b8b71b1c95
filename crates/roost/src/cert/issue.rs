//! Certificates and keys for `roost cert`: the CA, server and client certificate profiles, made
//! with rcgen on ring, and reading an existing CA (ca.crt + ca.key) back to sign more.
//!
//! Every key is ECDSA P-256 with SHA-256 signatures. Ed25519 would be smaller and faster, but
//! P-256 is the one every TLS stack an MQTT user meets accepts: OpenSSL (Mosquitto and its
//! tools, Python's paho-mqtt), browsers (MQTT over WebSocket), rustls, and the mbedTLS and
//! wolfSSL builds on microcontrollers, several of which take no Ed25519 certificate. Serial
//! numbers are 126 random bits; nothing here touches the file system.

use std::net::IpAddr;

use anyhow::{bail, Context};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
    PKCS_ECDSA_P256_SHA256,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;

/// How long before "now" a certificate starts to be valid, so that a peer whose clock runs a
/// little behind does not reject a certificate made a minute ago.
const BACKDATE: Duration = Duration::hours(1);

/// A new certificate and its private key, both PEM.
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
    /// The end of the validity period actually written (after [`Ca::clamp`]).
    pub(crate) not_after: OffsetDateTime,
}

/// What a leaf certificate is for; decides its extended key usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// TLS server authentication (serverAuth), with host names and addresses as SANs.
    Server,
    /// TLS client authentication (clientAuth); the common name is the MQTT username when the
    /// broker has `use_identity_as_username true`.
    Client,
}

/// What goes in a server certificate's subjectAltName.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sans {
    pub(crate) names: Vec<String>,
    pub(crate) ips: Vec<IpAddr>,
}

/// A CA able to sign: its certificate (as issued or read back) and its key.
pub(crate) struct Ca {
    issuer: Issuer<'static, KeyPair>,
    not_after: OffsetDateTime,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Makes a self-signed CA named `common_name`, valid for `days` from now: basicConstraints
/// critical CA:true with no intermediate below it (pathlen 0), key usages keyCertSign and
/// cRLSign only.
pub(crate) fn new_ca(common_name: &str, days: u32) -> anyhow::Result<(Issued, Ca)> {
    let key = new_key()?;
    let mut params = base_params(common_name, days)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params
        .self_signed(&key)
        .context("could not sign the CA certificate")?;
    let issued = Issued {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_after: params.not_after,
    };
    let not_after = params.not_after;
    let ca = Ca {
        issuer: Issuer::new(params, key),
        not_after,
    };
    Ok((issued, ca))
}

impl Ca {
    /// Reads a CA back from its PEM certificate and PKCS#8 key; `cert_name` and `key_name`
    /// (the file paths) go in the errors. Refuses a certificate that is not a CA, has expired,
    /// or does not belong to the key.
    pub(crate) fn load(
        cert_pem: &[u8],
        cert_name: &str,
        key_pem: &str,
        key_name: &str,
    ) -> anyhow::Result<Ca> {
        let key = KeyPair::from_pem(key_pem).map_err(|error| {
            anyhow::anyhow!(
                "{key_name} is not a PKCS#8 private key in PEM ({error}); a key from \
                 `openssl genrsa` or `openssl ecparam` converts with \
                 `openssl pkcs8 -topk8 -nocrypt -in {key_name} -out {key_name}.pk8` \
                 (then put the .pk8 file in its place)"
            )
        })?;
        let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem)
            .map_err(|_| anyhow::anyhow!("{cert_name} is not a PEM certificate"))?;
        let x509 = pem
            .parse_x509()
            .map_err(|error| anyhow::anyhow!("{cert_name} is not a valid certificate: {error}"))?;
        if !x509.is_ca() {
            bail!(
                "{cert_name} is not a CA certificate (no basicConstraints CA:TRUE); \
                 make a CA with `roost cert ca`"
            );
        }
        if x509.public_key().raw != rcgen::PublicKeyData::subject_public_key_info(&key) {
            bail!("{key_name} is not the key of {cert_name}: they were made separately");
        }
        let not_after = x509.validity().not_after.to_datetime();
        if not_after <= OffsetDateTime::now_utc() {
            bail!(
                "the CA {cert_name} expired on {}; make a new one with `roost cert ca --force` \
                 (certificates it signed stop working with it)",
                not_after.date()
            );
        }
        let issuer = Issuer::from_ca_cert_pem(&pem_text(cert_pem, cert_name)?, key)
            .with_context(|| format!("could not read {cert_name} as a CA"))?;
        Ok(Ca { issuer, not_after })
    }

    /// Signs a new leaf certificate for `role`: basicConstraints CA:false, digitalSignature
    /// (all an ECDSA TLS key does), the role's extended key usage and, for a server, `sans`.
    /// A certificate is not made to outlive its CA: `days` is cut to the CA's end.
    pub(crate) fn issue(
        &self,
        role: Role,
        common_name: &str,
        sans: &Sans,
        days: u32,
    ) -> anyhow::Result<Issued> {
        let key = new_key()?;
        let mut params = base_params(common_name, days)?;
        params.not_after = params.not_after.min(self.not_after);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match role {
            Role::Server => ExtendedKeyUsagePurpose::ServerAuth,
            Role::Client => ExtendedKeyUsagePurpose::ClientAuth,
        }];
        params.use_authority_key_identifier_extension = true;
        params.subject_alt_names = san_entries(sans)?;
        let cert: Certificate = params
            .signed_by(&key, &self.issuer)
            .context("could not sign the certificate with the CA key")?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            not_after: params.not_after,
        })
    }
}

/// The first DNS name (else the first IP address) in a PEM certificate's subjectAltName.
pub(crate) fn first_host(cert_pem: &[u8]) -> Option<String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem).ok()?;
    let x509 = pem.parse_x509().ok()?;
    let san = x509.subject_alternative_name().ok()??;
    let names = &san.value.general_names;
    let dns = names.iter().find_map(|name| match name {
        GeneralName::DNSName(dns) => Some((*dns).to_owned()),
        _ => None,
    });
    dns.or_else(|| {
        names.iter().find_map(|name| match name {
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
    })
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
}

/// A new P-256 key from ring's system random source.
fn new_key() -> anyhow::Result<KeyPair> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("could not generate a P-256 key")
}

/// What every certificate here shares: the subject (CN only), a random serial and validity
/// from [`BACKDATE`] ago to `days` from now.
fn base_params(common_name: &str, days: u32) -> anyhow::Result<CertificateParams> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    params.serial_number = Some(random_serial()?);
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .context("could not read the clock")?;
    params.not_before = now - BACKDATE;
    params.not_after = now + Duration::days(i64::from(days));
    Ok(params)
}

/// 16 random bytes, the top bit clear (a serial is a positive integer) and the next one set
/// (so DER keeps all 16 bytes).
fn random_serial() -> anyhow::Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| anyhow::anyhow!("no random numbers for a serial: {error}"))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn san_entries(sans: &Sans) -> anyhow::Result<Vec<SanType>> {
    let mut entries = Vec::with_capacity(sans.names.len() + sans.ips.len());
    for name in &sans.names {
        let dns = name
            .as_str()
            .try_into()
            .map_err(|_| anyhow::anyhow!("--name {name}: not an ASCII host name"))?;
        entries.push(SanType::DnsName(dns));
    }
    entries.extend(sans.ips.iter().copied().map(SanType::IpAddress));
    Ok(entries)
}

fn pem_text(pem: &[u8], name: &str) -> anyhow::Result<String> {
    String::from_utf8(pem.to_vec()).map_err(|_| anyhow::anyhow!("{name} is not text (PEM)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::extensions::ParsedExtension;

    fn parse(pem: &str) -> Vec<u8> {
        let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("pem");
        pem.contents
    }

    #[test]
    fn ca_is_a_ca_that_signs_only_certificates() {
        let (issued, ca) = new_ca("Test CA", 3650).expect("ca");
        let der = parse(&issued.cert_pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
        assert!(cert.is_ca());
        let bc = cert.basic_constraints().expect("bc").expect("present");
        assert!(bc.critical);
        assert_eq!(bc.value.path_len_constraint, Some(0));
        let usage = cert.key_usage().expect("ku").expect("present").value;
        assert!(usage.key_cert_sign() && usage.crl_sign() && !usage.digital_signature());
        let days = (ca.not_after - OffsetDateTime::now_utc()).whole_days();
        assert!((3649..=3650).contains(&days), "{days}");
        assert!(issued.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn server_certificate_has_server_auth_and_the_sans() {
        let (_, ca) = new_ca("Test CA", 30).expect("ca");
        let sans = Sans {
            names: vec!["localhost".into(), "broker.example.com".into()],
            ips: vec!["127.0.0.1".parse().expect("ip"), "::1".parse().expect("ip")],
        };
        let issued = ca
            .issue(Role::Server, "localhost", &sans, 10)
            .expect("server");
        let der = parse(&issued.cert_pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
        assert!(!cert.is_ca());
        let eku = cert
            .extended_key_usage()
            .expect("eku")
            .expect("present")
            .value;
        assert!(eku.server_auth && !eku.client_auth);
        let san = cert
            .subject_alternative_name()
            .expect("san")
            .expect("present");
        let text: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text.len(), 4, "{text:?}");
        assert!(text.iter().any(|s| s.contains("broker.example.com")));
        let has_aki = cert.iter_extensions().any(|e| {
            matches!(
                e.parsed_extension(),
                ParsedExtension::AuthorityKeyIdentifier(_)
            )
        });
        assert!(has_aki);
        assert_eq!(
            first_host(issued.cert_pem.as_bytes()).as_deref(),
            Some("localhost")
        );
        let only_ip = Sans {
            names: vec![],
            ips: vec!["::1".parse().expect("ip")],
        };
        let by_ip = ca.issue(Role::Server, "::1", &only_ip, 10).expect("server");
        assert_eq!(
            first_host(by_ip.cert_pem.as_bytes()).as_deref(),
            Some("::1")
        );
    }

    #[test]
    fn leaf_does_not_outlive_its_ca() {
        let (_, ca) = new_ca("Short CA", 5).expect("ca");
        let none = Sans {
            names: vec![],
            ips: vec![],
        };
        let issued = ca.issue(Role::Client, "alice", &none, 825).expect("client");
        assert_eq!(issued.not_after, ca.not_after);
    }

    #[test]
    fn serials_are_random_and_sixteen_bytes() {
        let a = random_serial().expect("serial").to_bytes();
        let b = random_serial().expect("serial").to_bytes();
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_eq!(a[0] & 0xc0, 0x40);
    }

    #[test]
    fn a_ca_reads_back_and_signs() {
        let (issued, _) = new_ca("Round trip CA", 30).expect("ca");
        let ca = Ca::load(
            issued.cert_pem.as_bytes(),
            "ca.crt",
            &issued.key_pem,
            "ca.key",
        )
        .expect("load");
        let none = Sans {
            names: vec![],
            ips: vec![],
        };
        let leaf = ca.issue(Role::Client, "bob", &none, 1).expect("client");
        let der = parse(&leaf.cert_pem);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("x509");
        assert_eq!(cert.issuer().to_string(), "CN=Round trip CA");
    }

    #[test]
    fn a_ca_with_someone_elses_key_is_refused() {
        let (first, _) = new_ca("First", 30).expect("ca");
        let (second, _) = new_ca("Second", 30).expect("ca");
        let error = Ca::load(
            first.cert_pem.as_bytes(),
            "certs/ca.crt",
            &second.key_pem,
            "certs/ca.key",
        )
        .expect_err("mismatch");
        assert_eq!(
            error.to_string(),
            "certs/ca.key is not the key of certs/ca.crt: they were made separately"
        );
    }

    #[test]
    fn a_leaf_is_not_taken_as_a_ca() {
        let (_, ca) = new_ca("CA", 30).expect("ca");
        let none = Sans {
            names: vec![],
            ips: vec![],
        };
        let leaf = ca.issue(Role::Client, "carol", &none, 1).expect("client");
        let error = Ca::load(leaf.cert_pem.as_bytes(), "x.crt", &leaf.key_pem, "x.key")
            .expect_err("not a CA");
        assert!(error.to_string().contains("x.crt is not a CA certificate"));
    }
}
