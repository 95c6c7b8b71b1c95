//! Session tokens: `USER.EXPIRY.EPOCH.MAC`, where MAC is HMAC-SHA256 under a key drawn at start
//! (so a restart logs everyone out) over the rest. Nothing is stored per token; logging out bumps the
//! user's epoch, which voids every token issued to that user before.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::time::unix_seconds;

type HmacSha256 = Hmac<Sha256>;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    /// Not a token this process made (garbled, forged, or from before a restart or logout).
    Bad,
    /// Past its expiry.
    Expired,
}

/// The signing key, the lifetime and the per-user epochs.
#[derive(Debug)]
pub(crate) struct Tokens {
    /// HMAC keyed once with the random key; cloned per use.
    keyed: HmacSha256,
    lifetime: Duration,
    /// Bumped at logout; tokens carry the epoch they were made in.
    epochs: Mutex<HashMap<String, u64>>,
}

impl Tokens {
    /// A fresh random key; `None` when the system has no random source.
    pub(crate) fn new(lifetime: Duration) -> Option<Tokens> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).ok()?;
        Some(Tokens {
            keyed: HmacSha256::new_from_slice(&key).ok()?,
            lifetime,
            epochs: Mutex::new(HashMap::new()),
        })
    }

    fn epoch(&self, user: &str) -> u64 {
        let epochs = self.epochs.lock().unwrap_or_else(|p| p.into_inner());
        epochs.get(user).copied().unwrap_or(0)
    }

    /// Voids every token of `user` issued so far.
    pub(crate) fn revoke(&self, user: &str) {
        let mut epochs = self.epochs.lock().unwrap_or_else(|p| p.into_inner());
        *epochs.entry(user.to_string()).or_insert(0) += 1;
    }

    fn mac(&self, body: &str) -> Vec<u8> {
        let mut mac = self.keyed.clone();
        mac.update(body.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A token for `user`, valid from `now` for the lifetime.
    pub(crate) fn issue(&self, user: &str, now: SystemTime) -> String {
        let expiry = unix_seconds(now + self.lifetime);
        let body = format!(
            "{}.{expiry}.{}",
            URL_SAFE_NO_PAD.encode(user),
            self.epoch(user)
        );
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&body));
        format!("{body}.{mac}")
    }

    /// The user a token was issued to, if it is genuine, current and not expired at `now`.
    pub(crate) fn check(&self, token: &str, now: SystemTime) -> Result<String, TokenError> {
        let (body, mac) = token.rsplit_once('.').ok_or(TokenError::Bad)?;
        let given = URL_SAFE_NO_PAD.decode(mac).map_err(|_| TokenError::Bad)?;
        let mut check = self.keyed.clone();
        check.update(body.as_bytes());
        check.verify_slice(&given).map_err(|_| TokenError::Bad)?;
        let mut parts = body.split('.');
        let (Some(user), Some(expiry), Some(epoch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Bad);
        };
        let user = URL_SAFE_NO_PAD
            .decode(user)
            .ok()
            .and_then(|u| String::from_utf8(u).ok())
            .ok_or(TokenError::Bad)?;
        let expiry: u64 = expiry.parse().map_err(|_| TokenError::Bad)?;
        let epoch: u64 = epoch.parse().map_err(|_| TokenError::Bad)?;
        if epoch != self.epoch(&user) {
            return Err(TokenError::Bad);
        }
        if unix_seconds(now) >= expiry {
            return Err(TokenError::Expired);
        }
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(Duration::from_secs(60)).expect("random")
    }

    #[test]
    fn a_token_checks_until_it_expires() {
        let t = tokens();
        let now = SystemTime::now();
        let token = t.issue("admin", now);
        assert_eq!(t.check(&token, now), Ok("admin".to_string()));
        assert_eq!(
            t.check(&token, now + Duration::from_secs(61)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn garbled_forged_and_foreign_tokens_are_bad() {
        let t = tokens();
        let now = SystemTime::now();
        let token = t.issue("admin", now);
        let mut garbled = token.clone();
        garbled.insert(3, 'x');
        for bad in ["", "abc", "a.b.c.d", &garbled] {
            assert_eq!(t.check(bad, now), Err(TokenError::Bad), "{bad}");
        }
        // Same body, another process's key.
        assert_eq!(tokens().check(&token, now), Err(TokenError::Bad));
    }

    #[test]
    fn revoking_voids_earlier_tokens_only() {
        let t = tokens();
        let now = SystemTime::now();
        let old = t.issue("admin", now);
        t.revoke("admin");
        assert_eq!(t.check(&old, now), Err(TokenError::Bad));
        let fresh = t.issue("admin", now);
        assert!(t.check(&fresh, now).is_ok());
    }
}
