//! One password hash, the text after `user:` in a password file: parsed, made, checked and
//! written back as Mosquitto writes it.
//!
//! | text | what | who writes it |
//! |---|---|---|
//! | `$6$SALT$HASH` | SHA-512 of password then salt | `mosquitto_passwd -H sha512` (1.x default) |
//! | `$7$ITER$SALT$HASH` | PBKDF2-HMAC-SHA512, 64 bytes | 2.0: 101 iterations, 12-byte salt; 2.1: 1000 and 64 |
//! | `$argon2id$v=19$m=..,t=..,p=..$SALT$HASH` | Argon2id (PHC string) | Mosquitto 2.1 built with libargon2 |
//!
//! Salts of any length and any iteration count are read. Comparing hashes takes the same time
//! whatever bytes differ (`subtle`).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::argon2id::{self, Argon2idHash};
use super::base64;

/// PBKDF2 iterations `mosquitto_passwd` 2.0 writes, and the default here.
pub const DEFAULT_ITERATIONS: u32 = 101;
/// Salt length `mosquitto_passwd` 2.0 writes; the Mosquitto 2.0 broker reads no other.
const SALT_LEN: usize = 12;
/// SHA-512's output, the length of every `$6$` and `$7$` hash.
const DIGEST_LEN: usize = 64;

/// Which algorithm [`PasswordHash::new`] uses, named as `mosquitto_passwd -H` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// `$7$`: PBKDF2-HMAC-SHA512 with a 12-byte salt, which every Mosquitto 2.x reads.
    Sha512Pbkdf2 {
        /// PBKDF2 iterations; [`DEFAULT_ITERATIONS`] is what Mosquitto 2.0 writes.
        iterations: u32,
    },
    /// `$6$`: one salted SHA-512, for Mosquitto 1.x; weak against guessing.
    Sha512,
    /// `$argon2id$`: Argon2id with Mosquitto 2.1's parameters; Mosquitto 2.0 cannot read it.
    Argon2id,
}

impl Default for HashKind {
    fn default() -> Self {
        HashKind::Sha512Pbkdf2 {
            iterations: DEFAULT_ITERATIONS,
        }
    }
}

impl HashKind {
    /// The kind named `name` as `-H` takes it: `sha512-pbkdf2`, `sha512` or `argon2id`.
    pub fn from_name(name: &str) -> Option<HashKind> {
        match name {
            "sha512-pbkdf2" => Some(HashKind::default()),
            "sha512" => Some(HashKind::Sha512),
            "argon2id" => Some(HashKind::Argon2id),
            _ => None,
        }
    }

    /// The name `-H` takes.
    pub fn name(&self) -> &'static str {
        match self {
            HashKind::Sha512Pbkdf2 { .. } => "sha512-pbkdf2",
            HashKind::Sha512 => "sha512",
            HashKind::Argon2id => "argon2id",
        }
    }
}

/// Why a hash text cannot be read, or a hash cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// Not one of the known prefixes; most often a plain-text password.
    #[error("not a password hash (expected $6$, $7$ or $argon2id$); a plain-text password file is converted with `roost passwd -U FILE`")]
    UnknownKind,
    /// A `$6$` or `$7$` hash with the wrong number of `$` fields.
    #[error("expected {expected}")]
    Shape {
        /// The form the hash should have.
        expected: &'static str,
    },
    /// The iteration count of a `$7$` hash is not a number from 1 up.
    #[error("iteration count `{0}` is not a number from 1 to 4294967295")]
    Iterations(String),
    /// A salt that is not base64 or is empty.
    #[error("salt `{0}` is not non-empty base64")]
    Salt(String),
    /// A hash that is not base64 of 64 bytes.
    #[error("hash `{0}` is not base64 of 64 bytes")]
    Digest(String),
    /// A bad `$argon2id$` string or parameter.
    #[error("argon2id: {0}")]
    Argon2(String),
    /// The system's random number source failed.
    #[error("cannot get random bytes for a salt: {0}")]
    Random(String),
}

/// A password hash as one line of a password file holds it.
///
/// `Display` writes the file's text; `FromStr` reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    inner: Inner,
}

#[derive(Clone, PartialEq, Eq)]
enum Inner {
    Sha512 {
        salt: Vec<u8>,
        digest: [u8; DIGEST_LEN],
    },
    Pbkdf2 {
        iterations: u32,
        salt: Vec<u8>,
        digest: [u8; DIGEST_LEN],
    },
    Argon2id(Argon2idHash),
}

impl PasswordHash {
    /// Hashes `password` with a new random salt.
    ///
    /// Fails only for zero PBKDF2 iterations or when the system has no random source.
    pub fn new(kind: HashKind, password: &[u8]) -> Result<PasswordHash, HashError> {
        let inner = match kind {
            HashKind::Sha512Pbkdf2 { iterations } => {
                if iterations == 0 {
                    return Err(HashError::Iterations("0".to_owned()));
                }
                let salt = random_salt(SALT_LEN)?;
                let digest = pbkdf2(password, &salt, iterations);
                Inner::Pbkdf2 {
                    iterations,
                    salt,
                    digest,
                }
            }
            HashKind::Sha512 => {
                let salt = random_salt(SALT_LEN)?;
                let digest = sha512(password, &salt);
                Inner::Sha512 { salt, digest }
            }
            HashKind::Argon2id => Inner::Argon2id(Argon2idHash::create(
                password,
                random_salt(argon2id::NEW_SALT_LEN)?,
            )?),
        };
        Ok(PasswordHash { inner })
    }

    /// Whether `password` hashes to this hash; the comparison takes constant time.
    pub fn verify(&self, password: &[u8]) -> bool {
        let equal = match &self.inner {
            Inner::Sha512 { salt, digest } => sha512(password, salt)[..].ct_eq(&digest[..]),
            Inner::Pbkdf2 {
                iterations,
                salt,
                digest,
            } => pbkdf2(password, salt, *iterations)[..].ct_eq(&digest[..]),
            Inner::Argon2id(hash) => match hash.compute(password) {
                Ok(computed) => computed[..].ct_eq(hash.hash()),
                Err(_) => return false,
            },
        };
        equal.into()
    }

    /// The kind of this hash, with its iteration count for PBKDF2.
    pub fn kind(&self) -> HashKind {
        match &self.inner {
            Inner::Sha512 { .. } => HashKind::Sha512,
            Inner::Pbkdf2 { iterations, .. } => HashKind::Sha512Pbkdf2 {
                iterations: *iterations,
            },
            Inner::Argon2id(_) => HashKind::Argon2id,
        }
    }

    /// A hash with the same algorithm, cost and lengths that no password matches: checking a
    /// password against it takes as long as checking against `self`.
    pub(super) fn decoy(&self) -> PasswordHash {
        let inner = match &self.inner {
            Inner::Sha512 { salt, .. } => Inner::Sha512 {
                salt: vec![0x5a; salt.len()],
                digest: [0; DIGEST_LEN],
            },
            Inner::Pbkdf2 {
                iterations, salt, ..
            } => Inner::Pbkdf2 {
                iterations: *iterations,
                salt: vec![0x5a; salt.len()],
                digest: [0; DIGEST_LEN],
            },
            Inner::Argon2id(hash) => Inner::Argon2id(hash.decoy()),
        };
        PasswordHash { inner }
    }

    /// The decoy for a file with no users: Mosquitto 2.0's default PBKDF2.
    pub(super) fn default_decoy() -> PasswordHash {
        PasswordHash {
            inner: Inner::Pbkdf2 {
                iterations: DEFAULT_ITERATIONS,
                salt: vec![0x5a; SALT_LEN],
                digest: [0; DIGEST_LEN],
            },
        }
    }
}

impl FromStr for PasswordHash {
    type Err = HashError;

    fn from_str(text: &str) -> Result<PasswordHash, HashError> {
        let inner = if let Some(rest) = text.strip_prefix("$6$") {
            let [salt, digest] = fields(rest, "$6$SALT$HASH")?;
            Inner::Sha512 {
                salt: decode_salt(salt)?,
                digest: decode_digest(digest)?,
            }
        } else if let Some(rest) = text.strip_prefix("$7$") {
            let [iterations, salt, digest] = fields(rest, "$7$ITERATIONS$SALT$HASH")?;
            Inner::Pbkdf2 {
                iterations: parse_iterations(iterations)?,
                salt: decode_salt(salt)?,
                digest: decode_digest(digest)?,
            }
        } else if text.starts_with("$argon2id$") {
            Inner::Argon2id(Argon2idHash::parse(text)?)
        } else {
            return Err(HashError::UnknownKind);
        };
        Ok(PasswordHash { inner })
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Sha512 { salt, digest } => {
                write!(f, "$6${}${}", base64::encode(salt), base64::encode(digest))
            }
            Inner::Pbkdf2 {
                iterations,
                salt,
                digest,
            } => write!(
                f,
                "$7${iterations}${}${}",
                base64::encode(salt),
                base64::encode(digest)
            ),
            Inner::Argon2id(hash) => hash.fmt(f),
        }
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash({self})")
    }
}

/// Splits `rest` into exactly `N` `$`-separated fields.
fn fields<'a, const N: usize>(
    rest: &'a str,
    expected: &'static str,
) -> Result<[&'a str; N], HashError> {
    let parts: Vec<&str> = rest.split('$').collect();
    <[&str; N]>::try_from(parts).map_err(|_| HashError::Shape { expected })
}

fn parse_iterations(text: &str) -> Result<u32, HashError> {
    text.parse::<u32>()
        .ok()
        .filter(|n| *n > 0 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| HashError::Iterations(text.to_owned()))
}

fn decode_salt(text: &str) -> Result<Vec<u8>, HashError> {
    base64::decode(text)
        .ok()
        .filter(|salt| !salt.is_empty())
        .ok_or_else(|| HashError::Salt(text.to_owned()))
}

fn decode_digest(text: &str) -> Result<[u8; DIGEST_LEN], HashError> {
    base64::decode(text)
        .ok()
        .and_then(|digest| <[u8; DIGEST_LEN]>::try_from(digest).ok())
        .ok_or_else(|| HashError::Digest(text.to_owned()))
}

fn random_salt(len: usize) -> Result<Vec<u8>, HashError> {
    let mut salt = vec![0; len];
    getrandom::fill(&mut salt).map_err(|e| HashError::Random(e.to_string()))?;
    Ok(salt)
}

/// Mosquitto's `$6$`: SHA-512 over the password then the salt.
fn sha512(password: &[u8], salt: &[u8]) -> [u8; DIGEST_LEN] {
    let mut hasher = Sha512::new();
    hasher.update(password);
    hasher.update(salt);
    hasher.finalize().into()
}

/// Mosquitto's `$7$`: PBKDF2-HMAC-SHA512 giving 64 bytes.
fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> [u8; DIGEST_LEN] {
    let mut digest = [0; DIGEST_LEN];
    pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut digest);
    digest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by `mosquitto_passwd` 2.0.11 (Debian 12): `-b` default, `-H sha512`, `-I 1000`.
    const MOSQUITTO_2_0: &[(&str, &str)] = &[
        ("correct horse", "$7$101$8o15WThuh1p/hOtj$Us4ElGGVmqcSzNvkiX+tDdCzzufi5h3ji/R2ww9SHqYVLB94B4Ek3rq/XranG1ZnMiQQU5xS7e1feS04bHyzKQ=="),
        ("hunter2", "$6$945O8siagZ0zQAud$OqWuYy7Tier5oGjPAo61jQnShrKJ8RM0KbobVOv83a6yPme0vOe/tn8ur0xZDRWJkQz9nZu1vywWVDja3fcvYg=="),
        ("pässwörd", "$7$1000$/ZcFMoX7FPHQBpz4$XbJVOvgEL9xpSEOMI7PYPpO8PnOkEtVRTEXyFvLoF1/YkvF6qoPKd+B4CjLeoR3DCs5uOQAp+0GiOeCy8BFP0A=="),
        ("", "$7$101$NWaCuJZNCEobyeCF$IfEraVkv+PeokSlKrqSWug8VTpcumcVYN2syagwuydzdcEGPl2TLx2ren8w+R6zFR+9g8GYDXKchwgxHOLFXTA=="),
        ("p:w d", "$7$101$Kulg0qFgwKrdcm1v$JJuCZxJW9x6x48dvPxEsj/Q20fbKLrpW1B5FO3w7X4csmRIBAP3mzg1Vn2Q3sSZRiWSKRPNyMK88QEZA7tLUpg=="),
    ];

    /// Mosquitto 2.1's shape (1000 iterations, 64-byte salt) and an odd salt length and
    /// iteration count, made with Python's `hashlib.pbkdf2_hmac("sha512", ...)`.
    const PBKDF2_OTHER: &[(&str, &str)] = &[
        ("correct horse", "$7$1000$AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==$53KiEygVzVVEVUVTe4h79yMtYp0OxxoKFip82vf7OCrEbcm4/E88oGkCyN0NhQ7fLOSBIpiITuELG/0ldDPFMQ=="),
        ("x", "$7$7$MDEyMzQ1Njc4OWFiY2RlZmdoaWo=$pWKh2anlGuHUIKepZLuyDtar95GcT8ZT3I8s7ZGO39EVatvdm5UqzuCYu1ci03ml4Pz0R+/49rreYscjGGJIXA=="),
    ];

    /// Made by the reference `argon2` tool (libargon2, which Mosquitto 2.1 links): Mosquitto
    /// 2.1's parameters with a 64-byte salt, two lanes, and version 16.
    const ARGON2ID: &[(&str, &str)] = &[
        ("correct horse", "$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdHNhbHRzYWx0c2FsdA$iatLrZo58EmQL7ImdORbyjZBCzKlqKy9bWMeNIPCXe7YnZiZY7MOYMSRUXjVryV4uCIM0wkwljV2a0VzRgeptA"),
        ("hunter2", "$argon2id$v=19$m=64,t=2,p=2$c29tZXNhbHQ$+Wonbtt+B0iyMwqGBSiEqBmeSMmra2gUVVYhUZeprwg"),
        ("hunter2", "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHQ$QZgz+j8BbE0D4aGl6Lef12YNhKqaROo5/Df7qImWwh0"),
    ];

    fn check_vectors(vectors: &[(&str, &str)]) {
        for (password, text) in vectors {
            let hash: PasswordHash = text.parse().expect(text);
            assert!(hash.verify(password.as_bytes()), "{text}");
            assert!(!hash.verify(b"wrong"), "{text}");
            assert!(!hash.verify(format!("{password}x").as_bytes()), "{text}");
            assert_eq!(hash.to_string(), *text, "written back as read");
        }
    }

    #[test]
    fn verifies_mosquitto_2_0_hashes() {
        check_vectors(MOSQUITTO_2_0);
    }

    #[test]
    fn verifies_pbkdf2_with_any_salt_length_and_iterations() {
        check_vectors(PBKDF2_OTHER);
    }

    #[test]
    fn verifies_libargon2_hashes() {
        check_vectors(&ARGON2ID[1..]);
    }

    #[test]
    fn verifies_argon2id_with_mosquitto_2_1_parameters() {
        check_vectors(&ARGON2ID[..1]);
    }

    #[test]
    fn reads_unpadded_base64_as_written_by_hand() {
        let (password, text) = MOSQUITTO_2_0[1];
        let unpadded = text.trim_end_matches('=');
        let hash: PasswordHash = unpadded.parse().expect("unpadded");
        assert!(hash.verify(password.as_bytes()));
    }

    #[test]
    fn new_hashes_verify_and_read_back() {
        for kind in [
            HashKind::default(),
            HashKind::Sha512,
            HashKind::Sha512Pbkdf2 { iterations: 3 },
        ] {
            let hash = PasswordHash::new(kind, b"s3cret").expect("hash");
            assert_eq!(hash.kind(), kind);
            assert!(hash.verify(b"s3cret"));
            assert!(!hash.verify(b"s3cre"));
            let again: PasswordHash = hash.to_string().parse().expect("reads back");
            assert_eq!(again, hash);
            assert_ne!(
                PasswordHash::new(kind, b"s3cret").expect("hash"),
                hash,
                "salted"
            );
        }
    }

    #[test]
    fn new_defaults_to_what_mosquitto_2_0_writes() {
        let text = PasswordHash::new(HashKind::default(), b"pw")
            .expect("hash")
            .to_string();
        let fields: Vec<&str> = text.split('$').collect();
        assert_eq!(fields[..3], ["", "7", "101"]);
        assert_eq!(base64::decode(fields[3]).expect("salt").len(), 12);
        assert_eq!(base64::decode(fields[4]).expect("hash").len(), 64);
    }

    #[test]
    fn new_argon2id_uses_mosquitto_2_1_parameters() {
        let hash = PasswordHash::new(HashKind::Argon2id, b"pw").expect("hash");
        let text = hash.to_string();
        assert!(
            text.starts_with("$argon2id$v=19$m=47104,t=1,p=1$"),
            "{text}"
        );
        let fields: Vec<&str> = text.split('$').collect();
        assert_eq!(base64::decode(fields[4]).expect("salt").len(), 64);
        assert_eq!(base64::decode(fields[5]).expect("hash").len(), 64);
        assert!(hash.verify(b"pw"));
        assert!(!hash.verify(b"pW"));
    }

    #[test]
    fn zero_iterations_is_refused() {
        assert_eq!(
            PasswordHash::new(HashKind::Sha512Pbkdf2 { iterations: 0 }, b"pw"),
            Err(HashError::Iterations("0".into()))
        );
    }

    #[test]
    fn corrupt_hashes_say_what_is_wrong() {
        let salt = "8o15WThuh1p/hOtj";
        let digest = MOSQUITTO_2_0[0].1.rsplit('$').next().expect("digest");
        let cases: Vec<(String, &str)> = vec![
            ("secret".into(), "not a password hash"),
            ("$5$abc$def".into(), "not a password hash"),
            (format!("$6${salt}"), "expected $6$SALT$HASH"),
            (format!("$6${salt}${digest}$x"), "expected $6$SALT$HASH"),
            (
                format!("$7${salt}${digest}"),
                "expected $7$ITERATIONS$SALT$HASH",
            ),
            (format!("$7$0${salt}${digest}"), "iteration count `0`"),
            (format!("$7$-1${salt}${digest}"), "iteration count `-1`"),
            (format!("$7$+5${salt}${digest}"), "iteration count `+5`"),
            (format!("$7$99999999999${salt}${digest}"), "iteration count"),
            (format!("$7$101$${digest}"), "salt `` is not"),
            (format!("$7$101$no*base64${digest}"), "salt `no*base64`"),
            (
                format!("$7$101${salt}$c2hvcnQ="),
                "hash `c2hvcnQ=` is not base64 of 64 bytes",
            ),
            (
                "$argon2id$v=20$m=64,t=2,p=1$c29tZXNhbHQ$QZgz".into(),
                "version",
            ),
            (
                "$argon2id$v=19$t=2,m=64,p=1$c29tZXNhbHQ$QZgz".into(),
                "m=MEMORY",
            ),
            (
                "$argon2id$v=19$m=64,t=2,p=1$c2FsdA$QZgz+j8BbE0D4aGl6Lef12Y".into(),
                "shorter than 8",
            ),
            (
                "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$QZgz+j8BbE0D4aGl6Lef12Y".into(),
                "argon2id:",
            ),
            (
                "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ".into(),
                "expected $argon2id$",
            ),
        ];
        for (text, expected) in cases {
            let error = text.parse::<PasswordHash>().expect_err(&text).to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn decoy_has_the_cost_and_matches_nothing() {
        for (password, text) in MOSQUITTO_2_0
            .iter()
            .chain(PBKDF2_OTHER)
            .chain(&ARGON2ID[1..])
        {
            let hash: PasswordHash = text.parse().expect("vector");
            let decoy = hash.decoy();
            assert_eq!(decoy.kind(), hash.kind());
            assert_eq!(decoy.to_string().len(), hash.to_string().len());
            assert!(!decoy.verify(password.as_bytes()));
        }
    }

    #[test]
    fn kind_names_are_mosquitto_passwd_s() {
        for name in ["sha512-pbkdf2", "sha512", "argon2id"] {
            assert_eq!(HashKind::from_name(name).map(|k| k.name()), Some(name));
        }
        assert_eq!(HashKind::from_name("md5"), None);
    }
}
