//! Replays the fuzz corpus (`fuzz/corpus/decode/`) through `decode` as an ordinary test, doing what
//! the fuzz target does: nothing may panic, and whatever decodes must re-encode to `encoded_len`
//! bytes that decode to the same packet.
//!
//! Files named `nasty_*` (hand-made bad input) and `regression_*` (inputs the fuzzer once broke
//! the decoder with) may fail to decode; every other file is a valid packet stream and must decode
//! completely under at least one protocol version.

use std::path::PathBuf;

use bytes::BytesMut;
use roost_proto::{decode, encode, encoded_len, ProtocolVersion};

const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/decode")
}

/// Decodes `data` as a stream under `version`, checking every packet's re-encoding. Returns true
/// if every byte was consumed by successfully decoded packets.
fn replay(data: &[u8], version: ProtocolVersion, name: &str) -> bool {
    let mut buf = BytesMut::from(data);
    loop {
        match decode(&mut buf, version, u32::MAX) {
            Ok(Some(packet)) => {
                let mut again = BytesMut::new();
                encode(&packet, version, &mut again);
                assert_eq!(
                    again.len(),
                    encoded_len(&packet, version),
                    "{name} {version:?}"
                );
                assert_eq!(
                    decode(&mut again, version, u32::MAX),
                    Ok(Some(packet)),
                    "{name} {version:?}: re-encoding does not decode the same"
                );
            }
            Ok(None) => return buf.is_empty(),
            Err(_) => return false,
        }
    }
}

#[test]
fn every_corpus_file_replays_without_panic() {
    let mut files = 0;
    for entry in std::fs::read_dir(corpus_dir()).expect("fuzz/corpus/decode exists") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let data = std::fs::read(&path).expect("readable corpus file");
        // Replay under every version (no short-circuit): each run checks re-encoding.
        let results: Vec<bool> = VERSIONS.iter().map(|v| replay(&data, *v, &name)).collect();
        let decoded_somewhere = results.contains(&true);
        if !name.starts_with("nasty_") && !name.starts_with("regression_") {
            assert!(
                decoded_somewhere,
                "{name} is a seed of valid packets but decodes in no version"
            );
        }
        files += 1;
    }
    assert!(files >= 24, "only {files} corpus files");
}
