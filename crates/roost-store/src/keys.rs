//! Keys of the tables: a client identifier with its length in front (so one client's rows form
//! one contiguous range whatever characters the identifiers hold), then a big-endian sequence
//! number or packet identifier (so a range scan returns them in order).

/// The key prefix of every row of `client`.
fn prefix(client: &str, extra: usize) -> Vec<u8> {
    let bytes = client.as_bytes();
    // MQTT strings are at most 65,535 bytes; longer ones cannot come from the wire.
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    let mut key = Vec::with_capacity(2 + bytes.len() + extra);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(&bytes[..usize::from(len)]);
    key
}

/// Key of delivery `seq` of `client` (also the key of its in-flight state).
pub(crate) fn delivery(client: &str, seq: u64) -> Vec<u8> {
    let mut key = prefix(client, 8);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// Key of inbound packet identifier `id` of `client`.
pub(crate) fn inbound(client: &str, id: u16) -> Vec<u8> {
    let mut key = prefix(client, 2);
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// The client identifier at the start of any key of these tables.
pub(crate) fn client_of(key: &[u8]) -> Option<&[u8]> {
    let len = usize::from(u16::from_be_bytes(key.get(..2)?.try_into().ok()?));
    key.get(2..2 + len)
}

/// The sequence number at the end of a delivery key of `client`.
pub(crate) fn seq_of(client: &str, key: &[u8]) -> Option<u64> {
    let start = 2 + client.len();
    key.get(start..)?.try_into().ok().map(u64::from_be_bytes)
}

/// The packet identifier at the end of an inbound key of `client`.
pub(crate) fn inbound_id_of(client: &str, key: &[u8]) -> Option<u16> {
    let start = 2 + client.len();
    key.get(start..)?.try_into().ok().map(u16::from_be_bytes)
}
