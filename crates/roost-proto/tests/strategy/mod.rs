//! proptest strategies that produce only packets valid in a given protocol version.
//!
//! Shared by the round-trip and robustness tests. Each generator respects what the decoder
//! enforces: no properties before MQTT 5, only the properties a packet may carry, non-zero packet
//! identifiers, reason codes from the packet's table, valid topic names and filters.
#![allow(dead_code)]

use bytes::Bytes;
use proptest::collection::vec;
use proptest::option::of as opt;
use proptest::prelude::*;
use proptest::sample::select;
use roost_proto::*;

pub(crate) const VERSIONS: [ProtocolVersion; 3] = [
    ProtocolVersion::V3_1,
    ProtocolVersion::V3_1_1,
    ProtocolVersion::V5,
];

/// Any protocol version.
pub(crate) fn version() -> impl Strategy<Value = ProtocolVersion> {
    select(VERSIONS.to_vec())
}

/// A UTF-8 string without U+0000, short.
pub(crate) fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,8}"
}

/// Binary data, short.
pub(crate) fn binary() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..12).prop_map(Bytes::from)
}

/// A valid topic name.
pub(crate) fn topic_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9/ $_é-]{1,16}"
}

/// One level of a topic filter.
fn filter_level() -> impl Strategy<Value = String> {
    prop_oneof![Just("+".to_string()), "[a-z0-9 $é]{0,5}"]
}

/// A valid topic filter, sometimes with a trailing `#`, sometimes shared.
pub(crate) fn topic_filter() -> impl Strategy<Value = String> {
    (
        vec(filter_level(), 1..4),
        any::<bool>(),
        opt("[a-z0-9]{1,4}"),
    )
        .prop_map(|(levels, hash, group)| {
            let mut filter = levels.join("/");
            if hash {
                filter.push_str("/#");
            }
            if filter.is_empty() {
                filter.push('a');
            }
            match group {
                Some(group) => format!("$share/{group}/{filter}"),
                None => filter,
            }
        })
}

/// A QoS.
pub(crate) fn qos() -> impl Strategy<Value = QoS> {
    select(vec![QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
}

/// A non-zero packet identifier.
pub(crate) fn packet_id() -> impl Strategy<Value = u16> {
    1..=u16::MAX
}

/// A reason code `packet` may carry in MQTT 5.
pub(crate) fn reason_in(packet: PacketType) -> impl Strategy<Value = ReasonCode> {
    let codes: Vec<ReasonCode> = (0..=255u8)
        .map(ReasonCode)
        .filter(|c| c.allowed_in(packet))
        .collect();
    select(codes)
}

fn flag() -> impl Strategy<Value = Option<u8>> {
    opt(0..=1u8)
}

/// Every property with a valid value, before restricting it to a scope.
fn all_properties() -> impl Strategy<Value = Properties> {
    let a = (
        flag(),
        opt(any::<u32>()),
        opt(text()),
        opt(topic_name()),
        opt(binary()),
        vec(1..=268_435_455u32, 0..3),
        opt(any::<u32>()),
        opt(text()),
        opt(any::<u16>()),
        opt(text()),
        opt(binary()),
        flag(),
    );
    let b = (
        opt(any::<u32>()),
        flag(),
        opt(text()),
        opt(text()),
        opt(text()),
        opt(1..=u16::MAX),
        opt(any::<u16>()),
        opt(1..=u16::MAX),
        flag(),
        flag(),
        vec((text(), text()), 0..3),
        opt(1..=u32::MAX),
    );
    (a, b, (flag(), flag(), flag())).prop_map(|(a, b, c)| {
        Properties::from(roost_proto::PropertyValues {
            payload_format_indicator: a.0,
            message_expiry_interval: a.1,
            content_type: a.2,
            response_topic: a.3,
            correlation_data: a.4,
            subscription_identifiers: a.5,
            session_expiry_interval: a.6,
            assigned_client_identifier: a.7,
            server_keep_alive: a.8,
            authentication_method: a.9,
            authentication_data: a.10,
            request_problem_information: a.11,
            will_delay_interval: b.0,
            request_response_information: b.1,
            response_information: b.2,
            server_reference: b.3,
            reason_string: b.4,
            receive_maximum: b.5,
            topic_alias_maximum: b.6,
            topic_alias: b.7,
            maximum_qos: b.8,
            retain_available: b.9,
            user_properties: b.10,
            maximum_packet_size: b.11,
            wildcard_subscription_available: c.0,
            subscription_identifier_available: c.1,
            shared_subscription_available: c.2,
        })
    })
}

/// Clears `field` unless property `id` may stand in `scope`.
fn keep<T: Default>(field: &mut T, id: u8, scope: PropertyScope) {
    if !property_info(id).is_some_and(|info| info.allowed_in(scope)) {
        *field = T::default();
    }
}

/// `p` with only the properties `scope` may carry, and the pairs its packet requires.
fn restrict(mut p: Properties, scope: PropertyScope) -> Properties {
    keep(&mut p.payload_format_indicator, 0x01, scope);
    keep(&mut p.message_expiry_interval, 0x02, scope);
    keep(&mut p.content_type, 0x03, scope);
    keep(&mut p.response_topic, 0x08, scope);
    keep(&mut p.correlation_data, 0x09, scope);
    keep(&mut p.subscription_identifiers, 0x0B, scope);
    keep(&mut p.session_expiry_interval, 0x11, scope);
    keep(&mut p.assigned_client_identifier, 0x12, scope);
    keep(&mut p.server_keep_alive, 0x13, scope);
    keep(&mut p.authentication_method, 0x15, scope);
    keep(&mut p.authentication_data, 0x16, scope);
    keep(&mut p.request_problem_information, 0x17, scope);
    keep(&mut p.will_delay_interval, 0x18, scope);
    keep(&mut p.request_response_information, 0x19, scope);
    keep(&mut p.response_information, 0x1A, scope);
    keep(&mut p.server_reference, 0x1C, scope);
    keep(&mut p.reason_string, 0x1F, scope);
    keep(&mut p.receive_maximum, 0x21, scope);
    keep(&mut p.topic_alias_maximum, 0x22, scope);
    keep(&mut p.topic_alias, 0x23, scope);
    keep(&mut p.maximum_qos, 0x24, scope);
    keep(&mut p.retain_available, 0x25, scope);
    keep(&mut p.user_properties, 0x26, scope);
    keep(&mut p.maximum_packet_size, 0x27, scope);
    keep(&mut p.wildcard_subscription_available, 0x28, scope);
    keep(&mut p.subscription_identifier_available, 0x29, scope);
    keep(&mut p.shared_subscription_available, 0x2A, scope);
    if scope == PropertyScope::Subscribe {
        p.subscription_identifiers.truncate(1);
    }
    if scope == PropertyScope::Connect
        && p.authentication_data.is_some()
        && p.authentication_method.is_none()
    {
        p.authentication_method = Some("method".into());
    }
    p
}

/// Properties valid in `scope` for `version`: none before MQTT 5.
pub(crate) fn properties(
    scope: PropertyScope,
    version: ProtocolVersion,
) -> BoxedStrategy<Properties> {
    if version.is_v5() {
        all_properties()
            .prop_map(move |p| restrict(p, scope))
            .boxed()
    } else {
        Just(Properties::default()).boxed()
    }
}

fn will(version: ProtocolVersion) -> impl Strategy<Value = Will> {
    (
        topic_name(),
        binary(),
        qos(),
        any::<bool>(),
        properties(PropertyScope::Will, version),
    )
        .prop_map(|(topic, payload, qos, retain, properties)| Will {
            topic,
            payload,
            qos,
            retain,
            properties,
        })
}

fn connect(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    (
        any::<bool>(),
        any::<u16>(),
        text(),
        opt(will(version)),
        opt(text()),
        opt(binary()),
        properties(PropertyScope::Connect, version),
    )
        .prop_map(
            move |(clean_start, keep_alive, client_id, will, username, password, properties)| {
                // MQTT 3.1.1 refuses a password without a user name.
                let password = if version == ProtocolVersion::V3_1_1 && username.is_none() {
                    None
                } else {
                    password
                };
                Packet::Connect(Box::new(Connect {
                    protocol: version,
                    clean_start,
                    keep_alive,
                    client_id,
                    will,
                    username,
                    password,
                    properties,
                }))
            },
        )
}

fn connack(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let reason = if version.is_v5() {
        reason_in(PacketType::ConnAck).boxed()
    } else {
        select(
            [0x00, 0x84, 0x85, 0x88, 0x86, 0x87]
                .map(ReasonCode)
                .to_vec(),
        )
        .boxed()
    };
    (
        any::<bool>(),
        reason,
        properties(PropertyScope::ConnAck, version),
    )
        .prop_map(|(session_present, reason, properties)| {
            Packet::ConnAck(ConnAck {
                session_present: session_present && reason == ReasonCode::SUCCESS,
                reason,
                properties,
            })
        })
}

/// A PUBLISH valid in `version`.
pub(crate) fn publish(version: ProtocolVersion) -> impl Strategy<Value = Publish> {
    (
        any::<bool>(),
        qos(),
        any::<bool>(),
        topic_name(),
        any::<bool>(),
        packet_id(),
        vec(any::<u8>(), 0..64),
        properties(PropertyScope::Publish, version),
    )
        .prop_map(
            move |(dup, qos, retain, topic, drop_topic, id, payload, properties)| {
                let aliased = version.is_v5() && properties.topic_alias.is_some() && drop_topic;
                Publish {
                    dup: dup && qos != QoS::AtMostOnce,
                    qos,
                    retain,
                    topic: if aliased { String::new() } else { topic },
                    packet_id: (qos != QoS::AtMostOnce).then_some(id),
                    payload: Bytes::from(payload),
                    properties,
                }
            },
        )
}

fn pub_response(
    packet: PacketType,
    scope: PropertyScope,
    version: ProtocolVersion,
) -> impl Strategy<Value = PubResponse> {
    let reason = if version.is_v5() {
        reason_in(packet).boxed()
    } else {
        Just(ReasonCode::SUCCESS).boxed()
    };
    (packet_id(), reason, properties(scope, version)).prop_map(|(packet_id, reason, properties)| {
        PubResponse {
            packet_id,
            reason,
            properties,
        }
    })
}

fn subscription_options(version: ProtocolVersion) -> BoxedStrategy<SubscriptionOptions> {
    if !version.is_v5() {
        return qos()
            .prop_map(|qos| SubscriptionOptions {
                qos,
                ..Default::default()
            })
            .boxed();
    }
    let handling = select(vec![
        RetainHandling::SendAtSubscribe,
        RetainHandling::SendAtNewSubscribe,
        RetainHandling::DoNotSend,
    ]);
    (qos(), any::<bool>(), any::<bool>(), handling)
        .prop_map(
            |(qos, no_local, retain_as_published, retain_handling)| SubscriptionOptions {
                qos,
                no_local,
                retain_as_published,
                retain_handling,
            },
        )
        .boxed()
}

fn subscribe(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let entry =
        (topic_filter(), subscription_options(version)).prop_map(|(filter, mut options)| {
            // No Local is a protocol error on a shared subscription [MQTT-3.8.3-4].
            if filter.starts_with("$share/") {
                options.no_local = false;
            }
            SubscribeFilter { filter, options }
        });
    (
        packet_id(),
        vec(entry, 1..4),
        properties(PropertyScope::Subscribe, version),
    )
        .prop_map(|(packet_id, filters, properties)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                filters,
                properties,
            })
        })
}

fn suback(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let reason = if version.is_v5() {
        reason_in(PacketType::SubAck).boxed()
    } else {
        select([0x00, 0x01, 0x02, 0x80].map(ReasonCode).to_vec()).boxed()
    };
    (
        packet_id(),
        vec(reason, 1..5),
        properties(PropertyScope::SubAck, version),
    )
        .prop_map(|(packet_id, reasons, properties)| {
            Packet::SubAck(SubAck {
                packet_id,
                reasons,
                properties,
            })
        })
}

fn unsubscribe(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    (
        packet_id(),
        vec(topic_filter(), 1..4),
        properties(PropertyScope::Unsubscribe, version),
    )
        .prop_map(|(packet_id, filters, properties)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                filters,
                properties,
            })
        })
}

fn unsuback(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let reasons = if version.is_v5() {
        vec(reason_in(PacketType::UnsubAck), 1..5).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (
        packet_id(),
        reasons,
        properties(PropertyScope::UnsubAck, version),
    )
        .prop_map(|(packet_id, reasons, properties)| {
            Packet::UnsubAck(UnsubAck {
                packet_id,
                reasons,
                properties,
            })
        })
}

fn disconnect(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let reason = if version.is_v5() {
        reason_in(PacketType::Disconnect).boxed()
    } else {
        Just(ReasonCode::NORMAL_DISCONNECTION).boxed()
    };
    (reason, properties(PropertyScope::Disconnect, version))
        .prop_map(|(reason, properties)| Packet::Disconnect(Disconnect { reason, properties }))
}

fn auth() -> impl Strategy<Value = Packet> {
    (
        reason_in(PacketType::Auth),
        properties(PropertyScope::Auth, ProtocolVersion::V5),
    )
        .prop_map(|(reason, properties)| Packet::Auth(Auth { reason, properties }))
}

/// Any packet valid in `version` (AUTH only in MQTT 5).
pub(crate) fn packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let v = version;
    let mut choices = vec![
        connect(v).boxed(),
        connack(v).boxed(),
        publish(v).prop_map(Packet::Publish).boxed(),
        pub_response(PacketType::PubAck, PropertyScope::PubAck, v)
            .prop_map(Packet::PubAck)
            .boxed(),
        pub_response(PacketType::PubRec, PropertyScope::PubRec, v)
            .prop_map(Packet::PubRec)
            .boxed(),
        pub_response(PacketType::PubRel, PropertyScope::PubRel, v)
            .prop_map(Packet::PubRel)
            .boxed(),
        pub_response(PacketType::PubComp, PropertyScope::PubComp, v)
            .prop_map(Packet::PubComp)
            .boxed(),
        subscribe(v).boxed(),
        suback(v).boxed(),
        unsubscribe(v).boxed(),
        unsuback(v).boxed(),
        Just(Packet::PingReq).boxed(),
        Just(Packet::PingResp).boxed(),
        disconnect(v).boxed(),
    ];
    if v.is_v5() {
        choices.push(auth().boxed());
    }
    proptest::strategy::Union::new(choices).boxed()
}

/// A version and a packet valid in it.
pub(crate) fn versioned_packet() -> impl Strategy<Value = (ProtocolVersion, Packet)> {
    version().prop_flat_map(|v| packet(v).prop_map(move |p| (v, p)))
}
