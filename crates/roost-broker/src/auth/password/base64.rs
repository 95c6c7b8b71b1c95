//! Base64 as password files use it: the standard alphabet, padded by Mosquitto's `$6$`/`$7$`
//! hashes and unpadded in PHC strings. Decoding takes either, as OpenSSL and libargon2 do
//! between them.

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// Decodes with or without `=` padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes standard base64, padded or not.
pub(super) fn decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    LENIENT.decode(text)
}

/// Encodes with padding, as Mosquitto writes salts and hashes.
pub(super) fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Encodes without padding, as PHC strings hold salts and hashes.
pub(super) fn encode_unpadded(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}
