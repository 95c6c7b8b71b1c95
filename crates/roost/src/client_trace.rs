//! The `-d` trace of `roost pub` and `roost sub`: one line per packet sent or received, on
//! stdout, in libmosquitto's words (`Client <id> sending PUBLISH (d0, q1, ...)`), so scripts
//! that read `mosquitto_pub -d` read ours.

use std::io::Write;
use std::sync::{Arc, Mutex};

use roost_client::{connack_exit_code, Direction, Packet, PacketHook, ProtocolVersion};

/// The `-d` trace: one line per packet on stdout, in libmosquitto's words.
pub(crate) fn debug_hook(client_id: &str, protocol: ProtocolVersion) -> PacketHook {
    let name = if client_id.is_empty() {
        "(null)".to_owned()
    } else {
        client_id.to_owned()
    };
    // The name changes once, when an MQTT 5 broker assigns the id; the lock is held for a line.
    let name = Mutex::new(name);
    Arc::new(move |direction, packet| {
        let mut name = name.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Packet::ConnAck(connack) = packet {
            if let Some(assigned) = &connack.properties.assigned_client_identifier {
                name.clone_from(assigned);
            }
        }
        let mut stdout = std::io::stdout().lock();
        for line in debug_lines(direction, packet, protocol) {
            // The trace is best effort: a closed stdout must not stop the client.
            let _ = writeln!(stdout, "Client {name} {line}");
        }
        let _ = stdout.flush();
    })
}

/// The trace lines for one packet, without the `Client <id> ` prefix.
pub(crate) fn debug_lines(
    direction: Direction,
    packet: &Packet,
    protocol: ProtocolVersion,
) -> Vec<String> {
    let verb = match direction {
        Direction::Sent => "sending",
        Direction::Received => "received",
    };
    let sent = direction == Direction::Sent;
    let line = match packet {
        Packet::Connect(_) => format!("{verb} CONNECT"),
        Packet::ConnAck(c) => format!("{verb} CONNACK ({})", connack_exit_code(c.reason, protocol)),
        Packet::Publish(p) => format!(
            "{verb} PUBLISH (d{}, q{}, r{}, m{}, '{}', ... ({} bytes))",
            u8::from(p.dup),
            p.qos as u8,
            u8::from(p.retain),
            p.packet_id.unwrap_or(0),
            p.topic,
            p.payload.len()
        ),
        Packet::PubAck(r) if sent => format!("{verb} PUBACK (m{}, rc{})", r.packet_id, r.reason.0),
        Packet::PubRec(r) if sent => format!("{verb} PUBREC (m{}, rc{})", r.packet_id, r.reason.0),
        Packet::PubRel(r) if sent => format!("{verb} PUBREL (m{})", r.packet_id),
        Packet::PubComp(r) if sent => format!("{verb} PUBCOMP (m{})", r.packet_id),
        Packet::PubAck(r) => format!("{verb} PUBACK (Mid: {}, RC:{})", r.packet_id, r.reason.0),
        Packet::PubRec(r) => format!("{verb} PUBREC (Mid: {})", r.packet_id),
        Packet::PubRel(r) => format!("{verb} PUBREL (Mid: {})", r.packet_id),
        Packet::PubComp(r) => format!("{verb} PUBCOMP (Mid: {}, RC:{})", r.packet_id, r.reason.0),
        Packet::Subscribe(s) => {
            return s
                .filters
                .iter()
                .map(|f| {
                    let o = &f.options;
                    let options = (o.retain_handling as u8) << 4
                        | u8::from(o.retain_as_published) << 3
                        | u8::from(o.no_local) << 2;
                    format!(
                        "{verb} SUBSCRIBE (Mid: {}, Topic: {}, QoS: {}, Options: 0x{options:02x})",
                        s.packet_id, f.filter, o.qos as u8
                    )
                })
                .collect()
        }
        Packet::SubAck(_) => format!("{verb} SUBACK"),
        Packet::Unsubscribe(u) => {
            return u
                .filters
                .iter()
                .map(|f| format!("{verb} UNSUBSCRIBE (Mid: {}, Topic: {f})", u.packet_id))
                .collect()
        }
        Packet::UnsubAck(_) => format!("{verb} UNSUBACK"),
        Packet::PingReq => format!("{verb} PINGREQ"),
        Packet::PingResp => format!("{verb} PINGRESP"),
        Packet::Disconnect(_) if sent => format!("{verb} DISCONNECT"),
        Packet::Disconnect(d) => format!("{verb} DISCONNECT ({})", d.reason.0),
        Packet::Auth(a) => format!("{verb} AUTH ({})", a.reason.0),
    };
    vec![line]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use roost_client::{Properties, QoS};

    #[test]
    fn trace_lines_read_like_libmosquitto() {
        use roost_proto::{PubResponse, Publish, ReasonCode};
        let publish = Packet::Publish(Publish {
            dup: false,
            qos: QoS::ExactlyOnce,
            retain: false,
            topic: "a/x".into(),
            packet_id: Some(1),
            payload: Bytes::from_static(b"hello"),
            properties: Properties::default(),
        });
        assert_eq!(
            debug_lines(Direction::Sent, &publish, ProtocolVersion::V3_1_1),
            ["sending PUBLISH (d0, q2, r0, m1, 'a/x', ... (5 bytes))"]
        );
        let rec = Packet::PubRec(PubResponse {
            packet_id: 1,
            reason: ReasonCode::SUCCESS,
            properties: Properties::default(),
        });
        assert_eq!(
            debug_lines(Direction::Received, &rec, ProtocolVersion::V5),
            ["received PUBREC (Mid: 1)"]
        );
        assert_eq!(
            debug_lines(Direction::Sent, &rec, ProtocolVersion::V5),
            ["sending PUBREC (m1, rc0)"]
        );
    }
}
