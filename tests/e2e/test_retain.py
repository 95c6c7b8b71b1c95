"""Retained messages: set, replace, clear, delivery on subscribe, the RETAIN flag on live
messages, and the retain-related configuration directives."""

import pytest

import rawmqtt as R
from harness import V5, V311, VERSION_IDS, VERSIONS, unique_id, unique_topic


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_retained_delivered_on_subscribe_with_retain_flag(broker, connected, version):
    # MQTT-3.3.1-5: stored; MQTT-3.3.1-6: sent to a new subscription; MQTT-3.3.1-8
    # (v3.1.1) / MQTT-3.3.1-9 (v5, retain handling 0): RETAIN flag 1.
    b = broker()
    topic = unique_topic()
    connected(b, version=version).publish(topic, b"last known good", qos=1, retain=True)
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=1)
    (m,) = sub.wait_for(1)
    assert (m.payload, m.retain, m.qos) == (b"last known good", True, 1)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_retained_replaced_by_newer_retained(broker, connected, version):
    # MQTT-3.3.1-5: the new retained message replaces any existing one for the topic.
    b = broker()
    topic = unique_topic()
    pub = connected(b, version=version)
    pub.publish(topic, b"first", qos=1, retain=True)
    pub.publish(topic, b"second", qos=1, retain=True)
    pub.publish(topic, b"not retained", qos=1, retain=False)
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=1)
    sub.wait_for(1)
    assert [(m.payload, m.retain) for m in sub.received(settle=0.4)] == [(b"second", True)]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_retained_cleared_by_empty_retained_payload(broker, connected, version):
    # MQTT-3.3.1-10: a zero-byte retained message removes the retained message;
    # MQTT-3.3.1-11: and is not itself stored.
    b = broker()
    topic = unique_topic()
    pub = connected(b, version=version)
    pub.publish(topic, b"to be cleared", qos=1, retain=True)
    live = connected(b, version=version)
    live.subscribe(topic, qos=1)
    live.wait_for(1)
    pub.publish(topic, b"", qos=1, retain=True)
    # The empty message itself is still forwarded to existing subscribers.
    assert live.wait_for(2)[1].payload == b""
    later = connected(b, version=version)
    later.subscribe(topic, qos=1)
    assert later.received(settle=0.5) == []


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_live_message_to_existing_subscriber_has_retain_0(broker, connected, version):
    # MQTT-3.3.1-9 (v3.1.1) / MQTT-3.3.1-12 (v5 with Retain As Published 0): RETAIN flag 0
    # when forwarded to an established subscription.
    b = broker()
    topic = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=1)
    connected(b, version=version).publish(topic, b"live", qos=1, retain=True)
    (m,) = sub.wait_for(1)
    assert (m.payload, m.retain) == (b"live", False)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_retained_messages_for_wildcard_subscription(broker, connected, version):
    b = broker()
    base = unique_topic()
    pub = connected(b, version=version)
    topics = [f"{base}/a", f"{base}/b/c", f"{base}/d"]
    for t in topics:
        pub.publish(t, t.encode(), qos=1, retain=True)
    pub.publish(f"{base}-other", b"x", qos=1, retain=True)
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/#", qos=1)
    sub.wait_for(3)
    got = sub.received(settle=0.4)
    assert sorted(m.topic for m in got) == sorted(topics)
    assert all(m.retain for m in got)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize("pub_qos,sub_qos", [(0, 1), (1, 0), (2, 2), (2, 1)])
def test_retained_message_qos_is_minimum(broker, connected, version, pub_qos, sub_qos):
    b = broker()
    topic = unique_topic()
    connected(b, version=version).publish(topic, b"q", qos=pub_qos, retain=True)
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=sub_qos)
    (m,) = sub.wait_for(1)
    assert m.qos == min(pub_qos, sub_qos) and m.retain


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_retained_message_survives_publisher_disconnect(broker, client, connected, version):
    b = broker()
    topic = unique_topic()
    pub = client(b, version=version)
    pub.ok()
    pub.publish(topic, b"still here", qos=1, retain=True)
    pub.disconnect()
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=1)
    assert sub.wait_for(1)[0].payload == b"still here"


def test_retained_resent_on_every_new_subscribe_v311(broker, connected):
    # MQTT-3.8.4-3 (v3.1.1): a repeated identical SUBSCRIBE re-sends retained messages.
    b = broker()
    topic = unique_topic()
    connected(b, version=V311).publish(topic, b"again", qos=1, retain=True)
    sub = connected(b, version=V311)
    sub.subscribe(topic, qos=1)
    sub.wait_for(1)
    sub.subscribe(topic, qos=1)
    got = sub.wait_for(2)
    assert [m.payload for m in got] == [b"again", b"again"] and all(m.retain for m in got)


def test_retain_available_false_v5_connack_and_retained_publish_refused(broker, raw):
    # MQTT 5 sections 3.2.2.3.5 and 3.3.1.3: CONNACK says Retain Available 0; a PUBLISH
    # with RETAIN 1 is then answered with DISCONNECT 0x9A (Retain not supported).
    b = broker(retain_available=False)
    r = raw(b, R.V5)
    ack = r.connect(unique_id())
    assert ack.rc == 0 and ack.props.get("RetainAvailable") == 0
    r.send(R.publish("r/x", b"keep me", qos=1, retain=True, pid=1, version=R.V5))
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x9A)], got
    assert b.accepts_clients()


def test_retain_available_false_nothing_is_retained(broker, raw, connected):
    b = broker(retain_available=False)
    topic = unique_topic()
    r = raw(b)
    r.connect(unique_id())
    r.send(R.publish(topic, b"v3 retained", qos=1, retain=True, pid=3))
    try:
        r.read(2)
    except (R.Closed, R.Timeout):
        pass
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=1)
    assert sub.received(settle=0.5) == []


def test_upgrade_outgoing_qos(broker, connected):
    # mosquitto.conf upgrade_outgoing_qos: messages go out at the subscription's QoS even
    # when published at a lower one (a non-conformant but documented Mosquitto option).
    b = broker(upgrade_outgoing_qos=True)
    topic = unique_topic()
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=2)
    connected(b, version=V5).publish(topic, b"up", qos=0)
    (m,) = sub.wait_for(1)
    assert m.qos == 2
