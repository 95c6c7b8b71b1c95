//! Argon2id hashes in the PHC string form that libargon2 (and so Mosquitto 2.1) writes:
//! `$argon2id$v=19$m=47104,t=1,p=1$<salt>$<hash>`, salt and hash in base64 without padding.
//!
//! The string is parsed here rather than by the `password-hash` crate because that crate caps
//! salts at 48 bytes and Mosquitto 2.1 writes 64-byte salts. Parsing checks every parameter, so
//! hashing a password against a parsed value cannot fail later.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};

use super::base64;
use super::hash::HashError;

/// Mosquitto 2.1's cost parameters (`MOSQ_ARGON2_T`, `_M`, `_P`): one pass over 46 MiB, one lane.
const NEW_T_COST: u32 = 1;
const NEW_M_COST: u32 = 47104;
const NEW_P_COST: u32 = 1;
/// Salt and hash lengths Mosquitto 2.1 writes.
pub(super) const NEW_SALT_LEN: usize = 64;
const NEW_HASH_LEN: usize = 64;

/// A parsed `$argon2id$` hash.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Argon2idHash {
    version: Version,
    m_cost: u32,
    t_cost: u32,
    p_cost: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl Argon2idHash {
    /// Hashes `password` with Mosquitto 2.1's parameters and `salt`.
    pub(super) fn create(password: &[u8], salt: Vec<u8>) -> Result<Argon2idHash, HashError> {
        let mut hash = Argon2idHash {
            version: Version::V0x13,
            m_cost: NEW_M_COST,
            t_cost: NEW_T_COST,
            p_cost: NEW_P_COST,
            salt,
            hash: vec![0; NEW_HASH_LEN],
        };
        hash.hash = hash.compute(password)?;
        Ok(hash)
    }

    /// Parses the whole PHC string, `$argon2id$` included.
    pub(super) fn parse(text: &str) -> Result<Argon2idHash, HashError> {
        let bad = |why: &str| HashError::Argon2(why.to_owned());
        let rest = text
            .strip_prefix("$argon2id$")
            .ok_or_else(|| bad("expected `$argon2id$`"))?;
        let mut fields: Vec<&str> = rest.split('$').collect();
        // libargon2 reads a hash without `v=` as version 16 (0x10).
        let version = match fields.first().and_then(|f| f.strip_prefix("v=")) {
            Some(v) => {
                let version = match v {
                    "19" => Version::V0x13,
                    "16" => Version::V0x10,
                    _ => return Err(bad("version must be v=19 or v=16")),
                };
                fields.remove(0);
                version
            }
            None => Version::V0x10,
        };
        let [params, salt, hash] = fields[..] else {
            return Err(bad(
                "expected $argon2id$v=19$m=MEMORY,t=TIME,p=LANES$SALT$HASH",
            ));
        };
        let (m_cost, t_cost, p_cost) = parse_params(params)?;
        let salt = base64::decode(salt).map_err(|_| bad("salt is not valid base64"))?;
        let hash = base64::decode(hash).map_err(|_| bad("hash is not valid base64"))?;
        if salt.len() < argon2::MIN_SALT_LEN {
            return Err(bad("salt is shorter than 8 bytes"));
        }
        let parsed = Argon2idHash {
            version,
            m_cost,
            t_cost,
            p_cost,
            salt,
            hash,
        };
        parsed.params()?;
        Ok(parsed)
    }

    /// The same parameters, salt length and hash length with a fixed salt and a hash nothing
    /// produces: verifying against it costs what verifying against `self` costs.
    pub(super) fn decoy(&self) -> Argon2idHash {
        Argon2idHash {
            salt: vec![0x5a; self.salt.len()],
            hash: vec![0; self.hash.len()],
            ..self.clone()
        }
    }

    /// The stored hash.
    pub(super) fn hash(&self) -> &[u8] {
        &self.hash
    }

    /// Argon2id of `password` with this salt and these parameters.
    pub(super) fn compute(&self, password: &[u8]) -> Result<Vec<u8>, HashError> {
        let mut out = vec![0; self.hash.len()];
        Argon2::new(Algorithm::Argon2id, self.version, self.params()?)
            .hash_password_into(password, &self.salt, &mut out)
            .map_err(|e| HashError::Argon2(e.to_string()))?;
        Ok(out)
    }

    fn params(&self) -> Result<Params, HashError> {
        Params::new(self.m_cost, self.t_cost, self.p_cost, Some(self.hash.len()))
            .map_err(|e| HashError::Argon2(e.to_string()))
    }
}

/// `m=MEMORY,t=TIME,p=LANES`, in that order as libargon2 requires.
fn parse_params(text: &str) -> Result<(u32, u32, u32), HashError> {
    let mut values = [0u32; 3];
    let mut parts = text.split(',');
    for (value, key) in values.iter_mut().zip(["m=", "t=", "p="]) {
        *value = parts
            .next()
            .and_then(|part| part.strip_prefix(key))
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| {
                HashError::Argon2(format!(
                    "expected parameters m=MEMORY,t=TIME,p=LANES, found `{text}`"
                ))
            })?;
    }
    if parts.next().is_some() {
        return Err(HashError::Argon2(format!(
            "expected parameters m=MEMORY,t=TIME,p=LANES, found `{text}`"
        )));
    }
    Ok((values[0], values[1], values[2]))
}

impl fmt::Display for Argon2idHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = match self.version {
            Version::V0x10 => 16,
            Version::V0x13 => 19,
        };
        write!(
            f,
            "$argon2id$v={version}$m={},t={},p={}${}${}",
            self.m_cost,
            self.t_cost,
            self.p_cost,
            base64::encode_unpadded(&self.salt),
            base64::encode_unpadded(&self.hash),
        )
    }
}
