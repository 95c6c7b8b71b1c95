//! User names from client certificates, as Mosquitto makes them: the first Common Name
//! (`use_identity_as_username`), or the whole subject as OpenSSL's `X509_NAME_print_ex` prints
//! it with `XN_FLAG_RFC2253` (`use_subject_as_username`) — attributes last to first, RDNs
//! joined by `,`, the parts of a multi-valued one by `+`, short attribute names, RFC 2253
//! escapes, bytes past ASCII and control characters as `\XX`, values that are not strings as
//! `#` and their DER in hex.
//!
//! Certificates are parsed with x509-parser; nothing here trusts the certificate — rustls has
//! verified it before these run.

use std::fmt::Write as _;

use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AttributeTypeAndValue, X509Name};

/// Why no user name could be had from a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SubjectError {
    /// The certificate could not be parsed.
    #[error("the client certificate cannot be parsed: {0}")]
    Parse(String),
    /// `use_identity_as_username` and the subject has no CN.
    #[error("the client certificate's subject has no Common Name")]
    NoCommonName,
    /// The CN is not text a user name can be.
    #[error("the client certificate's Common Name is not valid UTF-8 text")]
    BadCommonName,
}

fn subject_of<T>(
    der: &[u8],
    read: impl FnOnce(&X509Name<'_>) -> Result<T, SubjectError>,
) -> Result<T, SubjectError> {
    let (_, cert) =
        X509Certificate::from_der(der).map_err(|e| SubjectError::Parse(e.to_string()))?;
    read(cert.subject())
}

/// The first Common Name of the certificate's subject, as `use_identity_as_username` takes it:
/// its bytes as they stand, which must be UTF-8 with no control character.
pub(crate) fn common_name(der: &[u8]) -> Result<String, SubjectError> {
    subject_of(der, |name| {
        let cn = name
            .iter_common_name()
            .next()
            .ok_or(SubjectError::NoCommonName)?;
        let text =
            std::str::from_utf8(cn.attr_value().data).map_err(|_| SubjectError::BadCommonName)?;
        if text.chars().any(char::is_control) {
            return Err(SubjectError::BadCommonName);
        }
        Ok(text.to_string())
    })
}

/// The certificate's subject as `use_subject_as_username` takes it (see the module doc).
pub(crate) fn subject_rfc2253(der: &[u8]) -> Result<String, SubjectError> {
    subject_of(der, |name| Ok(format_name(name)))
}

/// A distinguished name in OpenSSL's RFC 2253 form.
pub(crate) fn format_name(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // OpenSSL walks every attribute from last to first, those of a multi-valued RDN too.
        let attrs: Vec<_> = rdn.iter().collect();
        for (j, attr) in attrs.iter().rev().enumerate() {
            if j > 0 {
                out.push('+');
            }
            attribute(&mut out, attr);
        }
    }
    out
}

fn attribute(out: &mut String, attr: &AttributeTypeAndValue<'_>) {
    let oid = attr.attr_type().to_id_string();
    out.push_str(short_name(&oid).unwrap_or(&oid));
    out.push('=');
    let value = attr.attr_value();
    match code_points(value.tag().0, value.data) {
        Some(chars) => escape(out, &chars),
        None => dump_der(out, value.header.raw_tag(), value.tag().0, value.data),
    }
}

/// The characters of a string value, by its ASN.1 type as OpenSSL reads it: one byte per
/// character for the 8-bit types, UCS-2 for BMPString, UCS-4 for UniversalString, UTF-8 for
/// UTF8String; `None` for a type OpenSSL dumps as DER.
fn code_points(tag: u32, data: &[u8]) -> Option<Vec<u32>> {
    const UTF8: u32 = 12;
    const BYTE_TYPES: [u32; 7] = [18, 19, 20, 22, 23, 24, 26];
    const UNIVERSAL: u32 = 28;
    const BMP: u32 = 30;
    match tag {
        UTF8 => std::str::from_utf8(data)
            .ok()
            .map(|s| s.chars().map(u32::from).collect()),
        t if BYTE_TYPES.contains(&t) => Some(data.iter().map(|b| u32::from(*b)).collect()),
        BMP if data.chunks_exact(2).remainder().is_empty() => Some(
            data.chunks_exact(2)
                .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
                .collect(),
        ),
        UNIVERSAL if data.chunks_exact(4).remainder().is_empty() => Some(
            data.chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ),
        _ => None,
    }
}

/// Writes characters UTF-8 encoded, each byte escaped as RFC 2253 and OpenSSL's ESC_CTRL and
/// ESC_MSB ask: `,+"\<>;` behind a backslash, `#` and space at the start and space at the end
/// likewise, control characters and bytes past ASCII as `\XX`.
fn escape(out: &mut String, chars: &[u32]) {
    let last = chars.len().saturating_sub(1);
    for (i, &c) in chars.iter().enumerate() {
        let mut utf8 = [0u8; 4];
        let bytes: &[u8] = match char::from_u32(c) {
            Some(ch) => ch.encode_utf8(&mut utf8).as_bytes(),
            None => {
                // Not a Unicode scalar (a lone surrogate from a BMPString): OpenSSL writes
                // \UXXXX or \WXXXXXXXX for such values.
                let _ = if c > 0xFFFF {
                    write!(out, "\\W{c:08X}")
                } else {
                    write!(out, "\\U{c:04X}")
                };
                continue;
            }
        };
        for &b in bytes {
            match b {
                b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                b'#' if i == 0 => out.push_str("\\#"),
                b' ' if i == 0 || i == last => out.push_str("\\ "),
                0..=0x1F | 0x7F..=0xFF => {
                    let _ = write!(out, "\\{b:02X}");
                }
                _ => out.push(char::from(b)),
            }
        }
    }
}

/// `#` and the value's DER encoding in hex, as OpenSSL's DUMP_DER writes a value that is not a
/// string.
fn dump_der(out: &mut String, raw_tag: Option<&[u8]>, tag: u32, data: &[u8]) {
    out.push('#');
    match raw_tag {
        Some(identifier) => identifier.iter().for_each(|b| {
            let _ = write!(out, "{b:02X}");
        }),
        None => {
            let _ = write!(out, "{:02X}", tag & 0x1F);
        }
    }
    let len = data.len();
    if len < 0x80 {
        let _ = write!(out, "{len:02X}");
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let _ = write!(out, "{:02X}", 0x80 | (bytes.len() - skip));
        bytes[skip..].iter().for_each(|b| {
            let _ = write!(out, "{b:02X}");
        });
    }
    data.iter().for_each(|b| {
        let _ = write!(out, "{b:02X}");
    });
}

/// OpenSSL's short name of an attribute type, by dotted OID.
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.13" => "description",
        "2.5.4.15" => "businessCategory",
        "2.5.4.16" => "postalAddress",
        "2.5.4.17" => "postalCode",
        "2.5.4.18" => "postOfficeBox",
        "2.5.4.20" => "telephoneNumber",
        "2.5.4.41" => "name",
        "2.5.4.42" => "GN",
        "2.5.4.43" => "initials",
        "2.5.4.44" => "generationQualifier",
        "2.5.4.45" => "x500UniqueIdentifier",
        "2.5.4.46" => "dnQualifier",
        "2.5.4.65" => "pseudonym",
        "2.5.4.72" => "role",
        "2.5.4.97" => "organizationIdentifier",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.3.6.1.4.1.311.60.2.1.1" => "jurisdictionL",
        "1.3.6.1.4.1.311.60.2.1.2" => "jurisdictionST",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;

    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("fixture certificate")
            .to_vec()
    }

    // The expected subjects are what `openssl x509 -noout -subject -nameopt RFC2253` printed for
    // the same files (tests/data/tls/README.md).

    #[test]
    fn subjects_read_last_rdn_first_with_short_names() {
        let cert = der(include_str!("../../tests/data/tls/simple.crt"));
        assert_eq!(
            subject_rfc2253(&cert).as_deref(),
            Ok("emailAddress=ops@example.com,CN=sensor-01,OU=Devices,O=Roost Tests,ST=Kent,C=GB")
        );
    }

    #[test]
    fn special_characters_are_escaped_as_openssl_does() {
        let cert = der(include_str!("../../tests/data/tls/tricky.crt"));
        assert_eq!(
            subject_rfc2253(&cert).as_deref(),
            Ok(r"CN=Caf\C3\A9 trail\ ,OU=\#hash,OU=\ lead#,O=a\+b\;c\<d\>e\\f=g")
        );
    }

    #[test]
    fn multi_valued_rdns_are_joined_by_plus() {
        let cert = der(include_str!("../../tests/data/tls/multi.crt"));
        assert_eq!(
            subject_rfc2253(&cert).as_deref(),
            Ok("CN=first,UID=u1+CN=second,DC=example,DC=org")
        );
    }

    #[test]
    fn bmp_and_t61_strings_become_escaped_utf8() {
        let cert = der(include_str!("../../tests/data/tls/bmp.crt"));
        assert_eq!(
            subject_rfc2253(&cert).as_deref(),
            Ok(r"O=Caf\C3\A9,CN=\E6\97\A5\E6\9C\AC")
        );
        // A BMPString CN is not UTF-8: Mosquitto refuses it as a user name too.
        assert_eq!(common_name(&cert), Err(SubjectError::BadCommonName));
    }

    #[test]
    fn the_identity_is_the_first_common_name() {
        let multi = der(include_str!("../../tests/data/tls/multi.crt"));
        assert_eq!(common_name(&multi).as_deref(), Ok("second"));
        let simple = der(include_str!("../../tests/data/tls/simple.crt"));
        assert_eq!(common_name(&simple).as_deref(), Ok("sensor-01"));
        let tricky = der(include_str!("../../tests/data/tls/tricky.crt"));
        assert_eq!(common_name(&tricky).as_deref(), Ok("Café trail "));
    }

    #[test]
    fn values_that_are_not_strings_are_dumped_as_der() {
        let mut out = String::new();
        dump_der(&mut out, None, 3, &[0x00, 0xAB]);
        assert_eq!(out, "#030200AB");
        let mut long = String::new();
        dump_der(&mut long, Some(&[0x04]), 4, &[0x11; 130]);
        assert!(long.starts_with("#04818211"), "{long}");
        assert_eq!(code_points(3, &[1, 2]), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            subject_rfc2253(b"not a certificate"),
            Err(SubjectError::Parse(_))
        ));
        assert!(matches!(common_name(&[]), Err(SubjectError::Parse(_))));
    }
}
