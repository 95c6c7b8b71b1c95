//! Folding one batch of ops before an engine writes it: a delivery queued and acknowledged before
//! its commit (the common case for a connected subscriber: its PUBACK comes back within the time
//! one fsync takes) never reaches the disk, nor does an inbound QoS 2 identifier released in the
//! same batch, nor a session record or retained message that a later op of the batch replaces.
//!
//! The result writes the same final state as the whole batch applied in order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::Op;

/// What an op is about, for finding the ops of one batch that cancel or replace each other.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Subject {
    Delivery(Arc<str>, u64),
    Inbound(Arc<str>, u16),
    Session(Arc<str>),
    Retained(Arc<str>),
}

/// Removes from `ops` every op whose effect a later op of the same batch undoes or overwrites.
pub fn coalesce(ops: &mut Vec<Op>) {
    if ops.len() < 2 {
        return;
    }
    // Subjects created in this batch (a put of a delivery or an inbound identifier).
    let mut created: HashSet<Subject> = HashSet::new();
    // Subjects whose every op in this batch can go (created here, then removed here).
    let mut vanished: HashSet<Subject> = HashSet::new();
    // The last op about a replaceable subject (session record, retained topic, in-flight stage).
    let mut last: HashMap<(Subject, u8), usize> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::PutDelivery { client, seq, .. } => {
                created.insert(Subject::Delivery(client.clone(), *seq));
            }
            Op::DeleteDelivery { client, seq } => {
                let subject = Subject::Delivery(client.clone(), *seq);
                if created.contains(&subject) {
                    vanished.insert(subject);
                }
            }
            Op::AddInbound(client, id) => {
                created.insert(Subject::Inbound(client.clone(), *id));
            }
            Op::RemoveInbound(client, id) => {
                let subject = Subject::Inbound(client.clone(), *id);
                if created.contains(&subject) {
                    vanished.insert(subject);
                }
            }
            Op::PutInflight { client, seq, .. } => {
                last.insert((Subject::Delivery(client.clone(), *seq), 1), i);
            }
            Op::PutSession(client, _) => {
                last.insert((Subject::Session(client.clone()), 0), i);
            }
            Op::DeleteSession(client) => {
                // A delete ends every earlier record of the session; keep it, and forget the
                // earlier put so that it is dropped below.
                last.insert((Subject::Session(client.clone()), 0), i);
            }
            Op::PutRetained(msg, _) => {
                last.insert((Subject::Retained(msg.topic.clone()), 0), i);
            }
            Op::DeleteRetained(topic) => {
                last.insert((Subject::Retained(topic.clone()), 0), i);
            }
        }
    }
    let mut index = 0;
    ops.retain(|op| {
        let i = index;
        index += 1;
        let replaced = |key: (Subject, u8)| last.get(&key).is_some_and(|&at| at != i);
        match op {
            Op::PutDelivery { client, seq, .. } | Op::DeleteDelivery { client, seq } => {
                !vanished.contains(&Subject::Delivery(client.clone(), *seq))
            }
            Op::PutInflight { client, seq, .. } => {
                let subject = Subject::Delivery(client.clone(), *seq);
                !vanished.contains(&subject) && !replaced((subject, 1))
            }
            Op::AddInbound(client, id) | Op::RemoveInbound(client, id) => {
                !vanished.contains(&Subject::Inbound(client.clone(), *id))
            }
            // A session put replaced by a later put or delete goes; deletes always stay (they
            // also remove what earlier batches wrote).
            Op::PutSession(client, _) => !replaced((Subject::Session(client.clone()), 0)),
            Op::DeleteSession(_) | Op::DeleteRetained(_) => true,
            Op::PutRetained(msg, _) => !replaced((Subject::Retained(msg.topic.clone()), 0)),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::store::{SessionRecord, Stage, StoredDelivery};
    use roost_proto::QoS;
    use std::time::SystemTime;

    fn put(client: &str, seq: u64) -> Op {
        Op::PutDelivery {
            client: client.into(),
            seq,
            delivery: StoredDelivery {
                msg: Arc::new(Message::internal("t", "x", QoS::AtLeastOnce, false)),
                qos: QoS::AtLeastOnce,
                retain: false,
                sub_ids: Vec::new(),
            },
        }
    }

    fn delete(client: &str, seq: u64) -> Op {
        Op::DeleteDelivery {
            client: client.into(),
            seq,
        }
    }

    fn inflight(client: &str, seq: u64, stage: Stage) -> Op {
        Op::PutInflight {
            client: client.into(),
            seq,
            packet_id: 1,
            stage,
        }
    }

    fn session(client: &str, expiry: u32) -> Op {
        Op::PutSession(
            client.into(),
            SessionRecord {
                expiry_interval: expiry,
                disconnected_at: None,
                username: None,
                listener: 0,
                subscriptions: Vec::new(),
                will: None,
            },
        )
    }

    fn names(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|op| match op {
                Op::PutDelivery { client, seq, .. } => format!("put {client}/{seq}"),
                Op::DeleteDelivery { client, seq } => format!("del {client}/{seq}"),
                Op::PutInflight {
                    client, seq, stage, ..
                } => format!("inflight {client}/{seq} {stage:?}"),
                Op::PutSession(client, r) => format!("session {client} {}", r.expiry_interval),
                Op::DeleteSession(client) => format!("end {client}"),
                Op::AddInbound(client, id) => format!("in+ {client}/{id}"),
                Op::RemoveInbound(client, id) => format!("in- {client}/{id}"),
                Op::PutRetained(m, _) => format!("retain {} {:?}", m.topic, m.payload),
                Op::DeleteRetained(t) => format!("unretain {t}"),
            })
            .collect()
    }

    #[test]
    fn a_delivery_acknowledged_in_its_own_batch_is_never_written() {
        let mut ops = vec![
            put("a", 1),
            inflight("a", 1, Stage::Published),
            put("a", 2),
            delete("a", 1),
        ];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["put a/2"]);
    }

    #[test]
    fn a_delete_of_an_earlier_batch_delivery_stays() {
        let mut ops = vec![delete("a", 1), inflight("b", 3, Stage::Published)];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["del a/1", "inflight b/3 Published"]);
    }

    #[test]
    fn only_the_last_stage_and_session_record_are_written() {
        let mut ops = vec![
            session("a", 10),
            inflight("a", 1, Stage::Published),
            session("a", 20),
            inflight("a", 1, Stage::Released),
        ];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["session a 20", "inflight a/1 Released"]);
    }

    #[test]
    fn a_session_ended_in_the_batch_keeps_its_delete_and_a_later_start() {
        let mut ops = vec![
            session("a", 10),
            Op::DeleteSession("a".into()),
            session("a", 5),
        ];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["end a", "session a 5"]);
    }

    #[test]
    fn inbound_identifiers_released_in_the_batch_vanish() {
        let mut ops = vec![
            Op::AddInbound("a".into(), 7),
            Op::RemoveInbound("a".into(), 7),
            Op::RemoveInbound("a".into(), 8),
        ];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["in- a/8"]);
    }

    #[test]
    fn the_last_retained_message_of_a_topic_wins() {
        let retained = |payload: &'static str| {
            Op::PutRetained(
                Arc::new(Message::internal("r", payload, QoS::AtMostOnce, true)),
                SystemTime::UNIX_EPOCH,
            )
        };
        let mut ops = vec![retained("1"), Op::DeleteRetained("r".into()), retained("2")];
        coalesce(&mut ops);
        assert_eq!(names(&ops), ["unretain r", "retain r b\"2\""]);
    }
}
