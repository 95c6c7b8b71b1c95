//! The tables of the store file and the two things done with them: applying a batch of [`Op`]s
//! inside one write transaction, and reading everything back into a [`Snapshot`] at start.
//!
//! | table | key | value |
//! |---|---|---|
//! | `meta` | name | `format`: the version of the layout |
//! | `sessions` | client identifier | session record |
//! | `deliveries` | (client, seq) | delivery record |
//! | `inflight` | (client, seq) | packet identifier and stage |
//! | `inbound` | (client, packet identifier) | nothing |
//! | `retained` | topic | retained message with the time it was stored |

use std::collections::HashSet;
use std::sync::Arc;

use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use roost_broker::store::{Op, RestoredDelivery, RestoredSession, Snapshot};

use crate::codec::{self, Clock};
use crate::keys;

/// Version of the table layout; a file with a higher one was written by a newer Roost.
pub(crate) const FORMAT: u64 = 1;
/// The row of `meta` holding [`FORMAT`].
pub(crate) const FORMAT_KEY: &str = "format";

pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const SESSIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("sessions");
pub(crate) const DELIVERIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("deliveries");
pub(crate) const INFLIGHT: TableDefinition<&[u8], &[u8]> = TableDefinition::new("inflight");
pub(crate) const INBOUND: TableDefinition<&[u8], ()> = TableDefinition::new("inbound");
pub(crate) const RETAINED: TableDefinition<&str, &[u8]> = TableDefinition::new("retained");

/// Applies `ops` in order inside `tx`.
pub(crate) fn apply(tx: &WriteTransaction, ops: &[Op], clock: Clock) -> Result<(), redb::Error> {
    let mut sessions = tx.open_table(SESSIONS)?;
    let mut deliveries = tx.open_table(DELIVERIES)?;
    let mut inflight = tx.open_table(INFLIGHT)?;
    let mut inbound = tx.open_table(INBOUND)?;
    let mut retained = tx.open_table(RETAINED)?;
    for op in ops {
        match op {
            Op::PutSession(client, record) => {
                sessions.insert(&**client, codec::encode_session(record).as_slice())?;
            }
            Op::DeleteSession(client) => {
                sessions.remove(&**client)?;
                let lo = keys::delivery(client, 0);
                let hi = keys::delivery(client, u64::MAX);
                deliveries.retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
                inflight.retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
                let lo = keys::inbound(client, 0);
                let hi = keys::inbound(client, u16::MAX);
                inbound.retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
            }
            Op::PutDelivery {
                client,
                seq,
                delivery,
            } => {
                let value = codec::encode_delivery(delivery, clock);
                deliveries.insert(keys::delivery(client, *seq).as_slice(), value.as_slice())?;
            }
            Op::PutInflight {
                client,
                seq,
                packet_id,
                stage,
            } => {
                let value = codec::encode_inflight(*packet_id, *stage);
                inflight.insert(keys::delivery(client, *seq).as_slice(), value.as_slice())?;
            }
            Op::DeleteDelivery { client, seq } => {
                let key = keys::delivery(client, *seq);
                deliveries.remove(key.as_slice())?;
                inflight.remove(key.as_slice())?;
            }
            Op::AddInbound(client, id) => {
                inbound.insert(keys::inbound(client, *id).as_slice(), ())?;
            }
            Op::RemoveInbound(client, id) => {
                inbound.remove(keys::inbound(client, *id).as_slice())?;
            }
            Op::PutRetained(msg, stored_at) => {
                let value = codec::encode_retained(msg, *stored_at, clock);
                retained.insert(&*msg.topic, value.as_slice())?;
            }
            Op::DeleteRetained(topic) => {
                retained.remove(&**topic)?;
            }
        }
    }
    Ok(())
}

/// Why reading the store back failed.
#[derive(Debug)]
pub(crate) enum LoadError {
    /// The engine failed.
    Engine(redb::Error),
    /// A record cannot be decoded: what and why.
    Record(String),
}

impl<E: Into<redb::Error>> From<E> for LoadError {
    fn from(e: E) -> LoadError {
        LoadError::Engine(e.into())
    }
}

/// What [`load`] read: the snapshot, and the keys of rows to remove (expired messages, and rows
/// of clients that have no session, which no later session of that name may inherit).
pub(crate) struct Loaded {
    pub(crate) snapshot: Snapshot,
    expired_deliveries: Vec<Vec<u8>>,
    expired_retained: Vec<String>,
    orphan_inbound: Vec<Vec<u8>>,
}

type Table<V> = redb::ReadOnlyTable<&'static [u8], V>;

/// Reads every session, delivery and retained message; expired messages are left out.
pub(crate) fn load(db: &redb::Database, clock: Clock) -> Result<Loaded, LoadError> {
    let tx = db.begin_read()?;
    let sessions = tx.open_table(SESSIONS)?;
    let deliveries = tx.open_table(DELIVERIES)?;
    let inflight = tx.open_table(INFLIGHT)?;
    let inbound = tx.open_table(INBOUND)?;
    let retained = tx.open_table(RETAINED)?;
    let mut loaded = Loaded {
        snapshot: Snapshot::default(),
        expired_deliveries: Vec::new(),
        expired_retained: Vec::new(),
        orphan_inbound: Vec::new(),
    };
    for row in sessions.iter()? {
        let (client, record) = row?;
        let client = client.value();
        let record = codec::decode_session(record.value())
            .map_err(|e| LoadError::Record(format!("session of {client:?}: {e}")))?;
        let mut session = RestoredSession {
            client_id: Arc::from(client),
            record,
            deliveries: Vec::new(),
            inbound: Vec::new(),
        };
        load_deliveries(&mut session, (&deliveries, &inflight), clock, &mut loaded)?;
        let lo = keys::inbound(client, 0);
        let hi = keys::inbound(client, u16::MAX);
        for row in inbound.range(lo.as_slice()..=hi.as_slice())? {
            let (key, _) = row?;
            let id = keys::inbound_id_of(client, key.value()).ok_or_else(|| {
                LoadError::Record(format!("inbound identifier of {client:?}: bad key"))
            })?;
            session.inbound.push(id);
        }
        loaded.snapshot.sessions.push(session);
    }
    let clients: HashSet<&[u8]> = loaded
        .snapshot
        .sessions
        .iter()
        .map(|s| s.client_id.as_bytes())
        .collect();
    let mut orphans = Vec::new();
    orphan_keys(&deliveries, &clients, &mut orphans)?;
    orphan_keys(&inflight, &clients, &mut orphans)?;
    let mut orphan_inbound = Vec::new();
    orphan_keys(&inbound, &clients, &mut orphan_inbound)?;
    drop(clients);
    loaded.expired_deliveries.extend(orphans);
    loaded.orphan_inbound = orphan_inbound;
    for row in retained.iter()? {
        let (topic, value) = row?;
        let (msg, stored_at) = codec::decode_retained(value.value(), clock).map_err(|e| {
            LoadError::Record(format!("retained message of {:?}: {e}", topic.value()))
        })?;
        if msg.is_expired(clock.instant()) {
            loaded.expired_retained.push(topic.value().to_owned());
            continue;
        }
        loaded.snapshot.retained.push((Arc::new(msg), stored_at));
    }
    Ok(loaded)
}

/// Reads the deliveries of `session` in sequence order, each with its in-flight state; expired
/// ones go to the rows to remove.
fn load_deliveries(
    session: &mut RestoredSession,
    (deliveries, inflight): (&Table<&'static [u8]>, &Table<&'static [u8]>),
    clock: Clock,
    loaded: &mut Loaded,
) -> Result<(), LoadError> {
    let client = &*session.client_id;
    let lo = keys::delivery(client, 0);
    let hi = keys::delivery(client, u64::MAX);
    for row in deliveries.range(lo.as_slice()..=hi.as_slice())? {
        let (key, value) = row?;
        let key = key.value();
        let bad = |what: String| LoadError::Record(format!("delivery of {client:?}: {what}"));
        let seq = keys::seq_of(client, key).ok_or_else(|| bad("bad key".into()))?;
        let delivery =
            codec::decode_delivery(value.value(), clock).map_err(|e| bad(e.to_string()))?;
        if delivery.msg.is_expired(clock.instant()) {
            loaded.expired_deliveries.push(key.to_vec());
            continue;
        }
        let inflight = match inflight.get(key)? {
            Some(v) => Some(codec::decode_inflight(v.value()).map_err(|e| bad(e.to_string()))?),
            None => None,
        };
        session.deliveries.push(RestoredDelivery {
            seq,
            delivery,
            inflight,
        });
    }
    Ok(())
}

/// Adds to `out` the keys of `table` whose client has no session.
fn orphan_keys<V: redb::Value + 'static>(
    table: &Table<V>,
    clients: &HashSet<&[u8]>,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), LoadError> {
    for row in table.iter()? {
        let (key, _) = row?;
        let key = key.value();
        if !keys::client_of(key).is_some_and(|c| clients.contains(c)) {
            out.push(key.to_vec());
        }
    }
    Ok(())
}

/// Removes the expired and orphaned rows [`load`] found.
pub(crate) fn purge_expired(db: &redb::Database, loaded: &Loaded) -> Result<(), redb::Error> {
    if loaded.expired_deliveries.is_empty()
        && loaded.expired_retained.is_empty()
        && loaded.orphan_inbound.is_empty()
    {
        return Ok(());
    }
    let tx = db.begin_write()?;
    {
        let mut deliveries = tx.open_table(DELIVERIES)?;
        let mut inflight = tx.open_table(INFLIGHT)?;
        for key in &loaded.expired_deliveries {
            deliveries.remove(key.as_slice())?;
            inflight.remove(key.as_slice())?;
        }
        let mut inbound = tx.open_table(INBOUND)?;
        for key in &loaded.orphan_inbound {
            inbound.remove(key.as_slice())?;
        }
        let mut retained = tx.open_table(RETAINED)?;
        for topic in &loaded.expired_retained {
            retained.remove(topic.as_str())?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Creates the tables of a new file and checks the layout version of an old one: `Ok(None)` when
/// this build reads it, `Ok(Some(found))` when a newer Roost wrote it.
pub(crate) fn prepare(db: &redb::Database) -> Result<Option<u64>, redb::Error> {
    let tx = db.begin_write()?;
    {
        let mut meta = tx.open_table(META)?;
        let found = meta.get(FORMAT_KEY)?.map(|v| v.value());
        match found {
            Some(v) if v > FORMAT => return Ok(Some(v)),
            Some(_) => {}
            None => {
                meta.insert(FORMAT_KEY, FORMAT)?;
            }
        }
        tx.open_table(SESSIONS)?;
        tx.open_table(DELIVERIES)?;
        tx.open_table(INFLIGHT)?;
        tx.open_table(INBOUND)?;
        tx.open_table(RETAINED)?;
    }
    tx.commit()?;
    Ok(None)
}
