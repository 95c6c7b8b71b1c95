//! Cipher lists as Mosquitto users write them (`ciphers`, `ciphers_tls1.3`): OpenSSL's names and
//! keywords, mapped onto the suites rustls offers with the ring provider.
//!
//! rustls offers AEAD suites with forward secrecy only — six for TLS 1.2, three for TLS 1.3. A
//! name for a suite it lacks (CBC, RSA key exchange, finite-field DH, PSK) is refused with the
//! list of what is available; a keyword (`HIGH`, `ECDHE`, `aRSA`, ...) selects the suites of
//! that family rustls has; `!X` and `-X` remove, `+X` moves to the end; exclusions of families
//! rustls never offers (`!aNULL`, `!MD5`, `!RC4`, ...) change nothing and are accepted.

use rustls::CipherSuite;

/// Key exchange, authentication and bulk cipher of a TLS 1.2 suite (all TLS 1.3 suites are
/// `Any`/`Any` with their cipher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    Rsa,
    Ecdsa,
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cipher {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20,
}

/// One suite rustls offers, with its OpenSSL name.
#[derive(Debug)]
struct Suite {
    openssl: &'static str,
    suite: CipherSuite,
    tls13: bool,
    auth: Auth,
    cipher: Cipher,
}

const fn tls12(openssl: &'static str, suite: CipherSuite, auth: Auth, cipher: Cipher) -> Suite {
    Suite {
        openssl,
        suite,
        tls13: false,
        auth,
        cipher,
    }
}

const fn tls13(openssl: &'static str, suite: CipherSuite, cipher: Cipher) -> Suite {
    Suite {
        openssl,
        suite,
        tls13: true,
        auth: Auth::Any,
        cipher,
    }
}

/// Every suite of rustls' ring provider, in its order of preference.
static SUITES: &[Suite] = &[
    tls13(
        "TLS_AES_256_GCM_SHA384",
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        Cipher::Aes256Gcm,
    ),
    tls13(
        "TLS_AES_128_GCM_SHA256",
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        Cipher::Aes128Gcm,
    ),
    tls13(
        "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        Cipher::Chacha20,
    ),
    tls12(
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        Auth::Ecdsa,
        Cipher::Aes256Gcm,
    ),
    tls12(
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        Auth::Ecdsa,
        Cipher::Aes128Gcm,
    ),
    tls12(
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        Auth::Ecdsa,
        Cipher::Chacha20,
    ),
    tls12(
        "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        Auth::Rsa,
        Cipher::Aes256Gcm,
    ),
    tls12(
        "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Auth::Rsa,
        Cipher::Aes128Gcm,
    ),
    tls12(
        "ECDHE-RSA-CHACHA20-POLY1305",
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        Auth::Rsa,
        Cipher::Chacha20,
    ),
];

/// OpenSSL keywords for families rustls offers none of: removing them changes nothing.
const ABSENT_FAMILIES: &[&str] = &[
    "aNULL",
    "eNULL",
    "NULL",
    "COMPLEMENTOFDEFAULT",
    "MD5",
    "RC4",
    "DES",
    "3DES",
    "EXPORT",
    "EXP",
    "LOW",
    "MEDIUM",
    "PSK",
    "SRP",
    "DSS",
    "aDSS",
    "DH",
    "DHE",
    "EDH",
    "kDHE",
    "kEDH",
    "ADH",
    "AECDH",
    "kRSA",
    "RSA",
    "SSLv2",
    "SSLv3",
    "TLSv1",
    "TLSv1.0",
    "CAMELLIA",
    "SEED",
    "IDEA",
    "ARIA",
    "SHA1",
    "CBC",
    "AESCCM",
    "AESCCM8",
    "aPSK",
    "kPSK",
    "kECDHEPSK",
    "kDHEPSK",
    "kRSAPSK",
    "GOST",
    "kGOST",
    "aGOST",
];

/// The suites an OpenSSL keyword stands for, among those rustls offers; `None` when `word` is
/// no keyword.
fn family(word: &str) -> Option<Vec<CipherSuite>> {
    let pick = |keep: &dyn Fn(&Suite) -> bool| -> Vec<CipherSuite> {
        SUITES
            .iter()
            .filter(|s| !s.tls13 && keep(s))
            .map(|s| s.suite)
            .collect()
    };
    Some(match word {
        "ALL" | "DEFAULT" | "HIGH" | "ECDHE" | "EECDH" | "kECDHE" | "kEECDH" | "AEAD"
        | "TLSv1.2" | "SHA256" | "SHA384" | "SHA" => match word {
            "SHA256" => pick(&|s| s.cipher != Cipher::Aes256Gcm),
            "SHA384" => pick(&|s| s.cipher == Cipher::Aes256Gcm),
            "SHA" => Vec::new(),
            _ => pick(&|_| true),
        },
        "aRSA" => pick(&|s| s.auth == Auth::Rsa),
        "aECDSA" | "ECDSA" => pick(&|s| s.auth == Auth::Ecdsa),
        "AESGCM" | "AES" => pick(&|s| s.cipher != Cipher::Chacha20),
        "AES128" => pick(&|s| s.cipher == Cipher::Aes128Gcm),
        "AES256" => pick(&|s| s.cipher == Cipher::Aes256Gcm),
        "CHACHA20" => pick(&|s| s.cipher == Cipher::Chacha20),
        w if ABSENT_FAMILIES.contains(&w) => Vec::new(),
        _ => return None,
    })
}

/// The suite `name` (OpenSSL's name or the IANA one) stands for, among all rustls offers.
fn by_name(name: &str) -> Option<&'static Suite> {
    SUITES
        .iter()
        .find(|s| s.openssl == name || s.suite.as_str() == Some(name))
}

fn available(tls13: bool) -> String {
    let names: Vec<&str> = SUITES
        .iter()
        .filter(|s| s.tls13 == tls13)
        .map(|s| s.openssl)
        .collect();
    names.join(", ")
}

/// The suites one term of a TLS 1.2 list stands for: a name, a keyword, or keywords joined by
/// '+' (the suites in all of them).
fn term(name: &str) -> Result<Vec<CipherSuite>, String> {
    if let Some((first, rest)) = name.split_once('+') {
        let (a, b) = (term(first)?, term(rest)?);
        return Ok(a.into_iter().filter(|s| b.contains(s)).collect());
    }
    match (by_name(name), family(name)) {
        (Some(suite), _) if suite.tls13 => Err(format!(
            "'{name}' is a TLS 1.3 suite: list it in ciphers_tls1.3"
        )),
        (Some(suite), _) => Ok(vec![suite.suite]),
        (None, Some(suites)) => Ok(suites),
        (None, None) => Err(format!(
            "'{name}' is not a TLS 1.2 cipher rustls offers; available: {}",
            available(false)
        )),
    }
}

/// Reads a `ciphers` value: OpenSSL's TLS 1.2 cipher list.
pub(crate) fn tls12_list(value: &str) -> Result<Vec<CipherSuite>, String> {
    let mut chosen: Vec<CipherSuite> = Vec::new();
    let mut removed: Vec<CipherSuite> = Vec::new();
    for word in value.split([':', ',', ' ']).filter(|w| !w.is_empty()) {
        if word.starts_with('@') {
            // @STRENGTH and @SECLEVEL=n order or filter by strength: every suite rustls has
            // is of the strongest kind, so there is nothing to do.
            continue;
        }
        let (op, name) = match word.as_bytes()[0] {
            b'!' | b'-' | b'+' => (word.as_bytes()[0], &word[1..]),
            _ => (b' ', word),
        };
        let suites = term(name)?;
        match op {
            b'!' => {
                chosen.retain(|s| !suites.contains(s));
                removed.extend(suites);
            }
            b'-' => chosen.retain(|s| !suites.contains(s)),
            b'+' => {
                let (moved, kept): (Vec<_>, Vec<_>) =
                    chosen.iter().partition(|s| suites.contains(s));
                chosen = kept.into_iter().chain(moved).collect();
            }
            _ => {
                for suite in suites {
                    if !chosen.contains(&suite) && !removed.contains(&suite) {
                        chosen.push(suite);
                    }
                }
            }
        }
    }
    if chosen.is_empty() {
        return Err(format!(
            "the list leaves no TLS 1.2 cipher rustls offers; available: {}",
            available(false)
        ));
    }
    Ok(chosen)
}

/// Reads a `ciphers_tls1.3` value: TLS 1.3 suite names separated by ':'.
pub(crate) fn tls13_list(value: &str) -> Result<Vec<CipherSuite>, String> {
    let mut chosen = Vec::new();
    for name in value.split(':').filter(|w| !w.is_empty()) {
        match by_name(name) {
            Some(suite) if suite.tls13 => {
                if !chosen.contains(&suite.suite) {
                    chosen.push(suite.suite);
                }
            }
            Some(_) => return Err(format!("'{name}' is a TLS 1.2 cipher: list it in ciphers")),
            None => {
                return Err(format!(
                    "'{name}' is not a TLS 1.3 suite rustls offers; available: {}",
                    available(true)
                ))
            }
        }
    }
    if chosen.is_empty() {
        return Err(format!("no suite given; available: {}", available(true)));
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CipherSuite as C;

    #[test]
    fn openssl_names_map_to_rustls_suites() {
        assert_eq!(
            tls12_list("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305"),
            Ok(vec![
                C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            ])
        );
        assert_eq!(
            tls13_list("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"),
            Ok(vec![
                C::TLS13_AES_256_GCM_SHA384,
                C::TLS13_CHACHA20_POLY1305_SHA256
            ])
        );
        // The IANA names are taken too.
        assert_eq!(
            tls12_list("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
            Ok(vec![C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384])
        );
    }

    #[test]
    fn every_suite_of_the_provider_has_a_name() {
        let provider = rustls::crypto::ring::default_provider();
        for suite in &provider.cipher_suites {
            let id = suite.suite();
            assert!(SUITES.iter().any(|s| s.suite == id), "{id:?} has no name");
        }
        assert_eq!(SUITES.len(), provider.cipher_suites.len());
    }

    #[test]
    fn suites_rustls_lacks_are_refused_with_what_is_available() {
        let error = tls12_list("ECDHE-RSA-AES256-SHA384").unwrap_err();
        assert_eq!(
            error,
            "'ECDHE-RSA-AES256-SHA384' is not a TLS 1.2 cipher rustls offers; available: \
             ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-ECDSA-AES128-GCM-SHA256, \
             ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-AES256-GCM-SHA384, \
             ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-CHACHA20-POLY1305"
        );
        assert!(tls12_list("DHE-RSA-AES256-GCM-SHA384")
            .unwrap_err()
            .contains("available: ECDHE-ECDSA-AES256-GCM-SHA384"));
        assert_eq!(
            tls13_list("TLS_AES_128_CCM_SHA256").unwrap_err(),
            "'TLS_AES_128_CCM_SHA256' is not a TLS 1.3 suite rustls offers; available: \
             TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256"
        );
    }

    #[test]
    fn suites_in_the_wrong_list_say_where_they_belong() {
        assert!(tls12_list("TLS_AES_256_GCM_SHA384")
            .unwrap_err()
            .contains("list it in ciphers_tls1.3"));
        assert!(tls13_list("ECDHE-RSA-AES128-GCM-SHA256")
            .unwrap_err()
            .contains("list it in ciphers"));
    }

    #[test]
    fn keywords_select_and_exclusions_remove() {
        assert_eq!(
            tls12_list("HIGH:!aNULL:!MD5:@STRENGTH").map(|l| l.len()),
            Ok(6)
        );
        // 'A+B' is what both A and B select; DH families are absent from rustls.
        assert_eq!(
            tls12_list("EECDH+AESGCM:EDH+AESGCM:aRSA+CHACHA20"),
            Ok(vec![
                C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            ])
        );
        assert!(tls12_list("ECDHE+FROB")
            .unwrap_err()
            .contains("'FROB' is not"));
        assert_eq!(
            tls12_list("aRSA:!CHACHA20"),
            Ok(vec![
                C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            ])
        );
        // '!' removes for good; '-' only what is there now.
        assert_eq!(
            tls12_list("!AES256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"),
            Ok(vec![C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256])
        );
        assert_eq!(
            tls12_list("-AES256:ECDHE-RSA-AES256-GCM-SHA384"),
            Ok(vec![C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384])
        );
        assert_eq!(
            tls12_list("aECDSA:+CHACHA20:-AES128").unwrap(),
            vec![
                C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            ]
        );
    }

    #[test]
    fn a_list_that_leaves_nothing_is_refused() {
        assert!(tls12_list("RC4")
            .unwrap_err()
            .contains("leaves no TLS 1.2 cipher"));
        assert!(tls12_list("HIGH:!ECDHE").unwrap_err().contains("leaves no"));
        assert!(tls13_list(":").unwrap_err().contains("no suite given"));
    }
}
