//! The byte-level reader and writer the record codec is built on: big-endian integers and
//! length-prefixed byte strings. The reader checks every length against what is left, so a
//! truncated or garbage record is an error, never a panic or an over-long allocation.

use bytes::Bytes;

/// Why a stored record cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The record ends before a field does.
    #[error("record ends early")]
    Truncated,
    /// The record was written by a newer Roost.
    #[error("record version {0} is newer than this Roost reads")]
    Version(u8),
    /// A field holds a value it cannot have.
    #[error("bad {0}")]
    Bad(&'static str),
    /// Bytes are left after the last field.
    #[error("{0} bytes left after the record")]
    Trailing(usize),
}

/// Appends fields to a record.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    pub(crate) fn bool(&mut self, v: bool) {
        self.u8(u8::from(v));
    }
    /// A byte string: u32 length, then the bytes (a length past u32 is cut; MQTT's own limits
    /// are far below it).
    pub(crate) fn bytes(&mut self, v: &[u8]) {
        let len = u32::try_from(v.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.buf.extend_from_slice(&v[..len as usize]);
    }
    pub(crate) fn str(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    pub(crate) fn opt_str(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
    pub(crate) fn opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(n) => {
                self.u8(1);
                self.u64(n);
            }
            None => self.u8(0),
        }
    }
}

/// Reads fields back, in the order they were written.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.buf.len() < n {
            return Err(CodecError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, CodecError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, CodecError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    pub(crate) fn bool(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CodecError::Bad("flag")),
        }
    }
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let len = self.u32()? as usize;
        self.take(len)
    }
    pub(crate) fn owned_bytes(&mut self) -> Result<Bytes, CodecError> {
        Ok(Bytes::copy_from_slice(self.bytes()?))
    }
    pub(crate) fn str(&mut self) -> Result<&'a str, CodecError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| CodecError::Bad("UTF-8 string"))
    }
    pub(crate) fn string(&mut self) -> Result<String, CodecError> {
        self.str().map(str::to_owned)
    }
    pub(crate) fn opt_str(&mut self) -> Result<Option<&'a str>, CodecError> {
        if self.bool()? {
            self.str().map(Some)
        } else {
            Ok(None)
        }
    }
    pub(crate) fn opt_u64(&mut self) -> Result<Option<u64>, CodecError> {
        if self.bool()? {
            self.u64().map(Some)
        } else {
            Ok(None)
        }
    }
    /// Ends the record: every byte must have been read.
    pub(crate) fn finish(self) -> Result<(), CodecError> {
        match self.buf.len() {
            0 => Ok(()),
            n => Err(CodecError::Trailing(n)),
        }
    }
}
