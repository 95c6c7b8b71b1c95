//! The stored records: how each value of the storage interface becomes bytes and back. Every
//! record opens with a version byte ([`VERSION`]); a record from a newer Roost is refused by
//! name rather than misread. Times are stored as unix milliseconds: a message's expiry instant
//! is converted through a [`Clock`] (a wall-clock time and a monotonic instant taken together),
//! so it keeps its meaning across a restart. Decoding checks every length and every enumerated
//! value, so any bytes at all give a record or a [`CodecError`], never a panic.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use roost_broker::store::{SessionRecord, Stage, StoredDelivery, StoredSubscription};
use roost_broker::Message;
use roost_proto::{QoS, Will};

use crate::properties;
use crate::wire::{CodecError, Reader, Writer};

/// Version of the records this Roost writes (and the newest it reads).
pub const VERSION: u8 = 1;

/// A wall-clock time and a monotonic instant read together: converts a message's expiry
/// [`Instant`] to an absolute time on disk and back.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    sys: SystemTime,
    inst: Instant,
}

impl Clock {
    /// The clocks now.
    pub fn now() -> Clock {
        Clock {
            sys: SystemTime::now(),
            inst: Instant::now(),
        }
    }

    /// The monotonic instant of this clock.
    pub fn instant(&self) -> Instant {
        self.inst
    }

    fn to_unix_ms(self, at: Instant) -> u64 {
        let wall = if at >= self.inst {
            self.sys.checked_add(at - self.inst)
        } else {
            self.sys.checked_sub(self.inst - at)
        };
        wall.map_or(0, unix_ms)
    }

    /// The instant for an absolute time; a time already past maps to an instant not after now.
    fn to_instant(self, ms: u64) -> Instant {
        let wall = from_unix_ms(ms);
        match wall.duration_since(self.sys) {
            Ok(ahead) => self.inst.checked_add(ahead).unwrap_or(self.inst),
            Err(behind) => self
                .inst
                .checked_sub(behind.duration())
                .unwrap_or(self.inst),
        }
    }
}

/// Milliseconds since the Unix epoch (0 before it).
pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The time `ms` milliseconds after the Unix epoch.
pub(crate) fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(UNIX_EPOCH)
}

fn start(buf: &[u8]) -> Result<Reader<'_>, CodecError> {
    let mut r = Reader::new(buf);
    match r.u8()? {
        VERSION => Ok(r),
        v if v > VERSION => Err(CodecError::Version(v)),
        _ => Err(CodecError::Bad("record version")),
    }
}

fn qos(r: &mut Reader<'_>) -> Result<QoS, CodecError> {
    QoS::from_u8(r.u8()?).ok_or(CodecError::Bad("QoS"))
}

fn write_message(w: &mut Writer, m: &Message, clock: Clock) {
    w.str(&m.topic);
    w.bytes(&m.payload);
    w.u8(m.qos as u8);
    w.bool(m.retain);
    properties::write(w, &m.properties);
    w.opt_u64(m.expires_at.map(|at| clock.to_unix_ms(at)));
    w.opt_str(m.origin.as_deref());
    w.opt_str(m.origin_username.as_deref());
}

fn read_message(r: &mut Reader<'_>, clock: Clock) -> Result<Message, CodecError> {
    Ok(Message {
        topic: Arc::from(r.str()?),
        payload: r.owned_bytes()?,
        qos: qos(r)?,
        retain: r.bool()?,
        properties: properties::read(r)?,
        expires_at: r.opt_u64()?.map(|ms| clock.to_instant(ms)),
        origin: r.opt_str()?.map(Arc::from),
        origin_username: r.opt_str()?.map(Arc::from),
    })
}

/// A delivery's record.
pub fn encode_delivery(d: &StoredDelivery, clock: Clock) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(VERSION);
    write_message(&mut w, &d.msg, clock);
    w.u8(d.qos as u8);
    w.bool(d.retain);
    w.u32(u32::try_from(d.sub_ids.len()).unwrap_or(u32::MAX));
    for id in &d.sub_ids {
        w.u32(*id);
    }
    w.buf
}

/// Reads a delivery's record.
pub fn decode_delivery(buf: &[u8], clock: Clock) -> Result<StoredDelivery, CodecError> {
    let mut r = start(buf)?;
    let msg = Arc::new(read_message(&mut r, clock)?);
    let qos = qos(&mut r)?;
    let retain = r.bool()?;
    let count = r.u32()?;
    let mut sub_ids = Vec::new();
    for _ in 0..count {
        sub_ids.push(r.u32()?);
    }
    r.finish()?;
    Ok(StoredDelivery {
        msg,
        qos,
        retain,
        sub_ids,
    })
}

/// A retained message's record, with the time it was stored.
pub fn encode_retained(m: &Message, stored_at: SystemTime, clock: Clock) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(VERSION);
    w.u64(unix_ms(stored_at));
    write_message(&mut w, m, clock);
    w.buf
}

/// Reads a retained message's record.
pub fn decode_retained(buf: &[u8], clock: Clock) -> Result<(Message, SystemTime), CodecError> {
    let mut r = start(buf)?;
    let stored_at = from_unix_ms(r.u64()?);
    let msg = read_message(&mut r, clock)?;
    r.finish()?;
    Ok((msg, stored_at))
}

/// An in-flight state's record.
pub fn encode_inflight(packet_id: u16, stage: Stage) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(VERSION);
    w.u16(packet_id);
    w.u8(match stage {
        Stage::Published => 0,
        Stage::Released => 1,
    });
    w.buf
}

/// Reads an in-flight state's record.
pub fn decode_inflight(buf: &[u8]) -> Result<(u16, Stage), CodecError> {
    let mut r = start(buf)?;
    let packet_id = r.u16()?;
    let stage = match r.u8()? {
        0 => Stage::Published,
        1 => Stage::Released,
        _ => return Err(CodecError::Bad("in-flight stage")),
    };
    r.finish()?;
    Ok((packet_id, stage))
}

fn write_subscription(w: &mut Writer, s: &StoredSubscription) {
    w.str(&s.filter);
    w.u8(s.qos as u8);
    w.bool(s.no_local);
    w.bool(s.retain_as_published);
    w.opt_u64(s.sub_id.map(u64::from));
    w.u8(s.retain_handling);
}

fn read_subscription(r: &mut Reader<'_>) -> Result<StoredSubscription, CodecError> {
    let filter = r.string()?;
    let qos = qos(r)?;
    let no_local = r.bool()?;
    let retain_as_published = r.bool()?;
    let sub_id = match r.opt_u64()? {
        Some(id) => {
            Some(u32::try_from(id).map_err(|_| CodecError::Bad("subscription identifier"))?)
        }
        None => None,
    };
    let retain_handling = r.u8()?;
    if retain_handling > 2 {
        return Err(CodecError::Bad("retain handling"));
    }
    Ok(StoredSubscription {
        filter,
        qos,
        no_local,
        retain_as_published,
        sub_id,
        retain_handling,
    })
}

/// A session's record.
pub fn encode_session(s: &SessionRecord) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(VERSION);
    w.u32(s.expiry_interval);
    w.opt_u64(s.disconnected_at.map(unix_ms));
    w.opt_str(s.username.as_deref());
    w.u64(s.listener as u64);
    w.u32(u32::try_from(s.subscriptions.len()).unwrap_or(u32::MAX));
    for sub in &s.subscriptions {
        write_subscription(&mut w, sub);
    }
    match &s.will {
        Some(will) => {
            w.u8(1);
            w.str(&will.topic);
            w.bytes(&will.payload);
            w.u8(will.qos as u8);
            w.bool(will.retain);
            properties::write(&mut w, &will.properties);
        }
        None => w.u8(0),
    }
    w.buf
}

/// Reads a session's record.
pub fn decode_session(buf: &[u8]) -> Result<SessionRecord, CodecError> {
    let mut r = start(buf)?;
    let expiry_interval = r.u32()?;
    let disconnected_at = r.opt_u64()?.map(from_unix_ms);
    let username = r.opt_str()?.map(Arc::from);
    let listener = usize::try_from(r.u64()?).map_err(|_| CodecError::Bad("listener"))?;
    let count = r.u32()?;
    let mut subscriptions = Vec::new();
    for _ in 0..count {
        subscriptions.push(read_subscription(&mut r)?);
    }
    let will = if r.bool()? {
        Some(Box::new(Will {
            topic: r.string()?,
            payload: r.owned_bytes()?,
            qos: qos(&mut r)?,
            retain: r.bool()?,
            properties: properties::read(&mut r)?,
        }))
    } else {
        None
    };
    r.finish()?;
    Ok(SessionRecord {
        expiry_interval,
        disconnected_at,
        username,
        listener,
        subscriptions,
        will,
    })
}
