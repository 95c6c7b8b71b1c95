"""PUBLISH at QoS 0, 1 and 2 in both directions, with the full acknowledgement flows."""

import pytest

import rawmqtt as R
from harness import VERSION_IDS, VERSIONS, unique_topic

QOS = [0, 1, 2]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize("qos", QOS)
def test_paho_publish_subscribe_roundtrip_at_each_qos(broker, connected, version, qos):
    b = broker()
    sub = connected(b, version=version)
    pub = connected(b, version=version)
    topic = unique_topic()
    assert sub.subscribe(topic, qos=qos) == [qos]
    payloads = [f"msg-{i}".encode() for i in range(5)]
    for p in payloads:
        pub.publish(topic, p, qos=qos)
    got = sub.wait_for(5)
    assert [m.payload for m in got] == payloads  # ordered per topic (MQTT-4.6.0-6)
    assert all(m.topic == topic and m.qos == qos and not m.retain for m in got)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
@pytest.mark.parametrize("pub_qos,sub_qos", [(2, 1), (2, 0), (1, 0), (0, 2), (1, 2)])
def test_delivered_qos_is_minimum_of_publish_and_subscription(broker, connected, version,
                                                              pub_qos, sub_qos):
    # MQTT-3.8.4-6 (v3.1.1) / MQTT-3.8.4-8 (v5): delivered at min(published, granted) QoS.
    b = broker()
    sub = connected(b, version=version)
    pub = connected(b, version=version)
    topic = unique_topic()
    sub.subscribe(topic, qos=sub_qos)
    pub.publish(topic, b"x", qos=pub_qos)
    (m,) = sub.wait_for(1)
    assert m.qos == min(pub_qos, sub_qos)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_qos1_publisher_gets_puback_with_same_packet_id(broker, raw, version):
    # MQTT-4.3.2-2 / MQTT-2.3.1-6 (v3.1.1): PUBACK carries the PUBLISH's packet identifier.
    b = broker()
    c = raw(b, version)
    assert c.connect("q1pub").rc == 0
    c.send(R.publish("a/b", b"hello", qos=1, pid=4242, version=version))
    ack = c.expect(R.PUBACK)
    assert ack.pid == 4242
    assert ack.rc in (0x00, 0x10)  # 0x10: no matching subscribers (v5)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_qos2_publisher_flow_pubrec_pubrel_pubcomp(broker, raw, version):
    # MQTT-4.3.3-1..2: PUBREC, then PUBCOMP for our PUBREL, same packet identifier.
    b = broker()
    sub = raw(b, version)
    sub.connect("q2sub")
    sub.subscribe([("q2/t", 2)])
    c = raw(b, version)
    c.connect("q2pub")
    c.send(R.publish("q2/t", b"exactly once", qos=2, pid=77, version=version))
    rec = c.expect(R.PUBREC)
    assert rec.pid == 77
    c.send(R.pubrel(77, version=version))
    comp = c.expect(R.PUBCOMP)
    assert comp.pid == 77 and comp.rc == 0
    m = sub.receive_message()
    assert (m.topic, m.payload, m.qos) == ("q2/t", b"exactly once", 2)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_qos2_duplicate_publish_before_pubrel_delivered_once(broker, raw, version):
    # MQTT-4.3.3-2 method A: until PUBREL, a PUBLISH with the same packet id is not a new
    # message; the subscriber must get exactly one copy.
    b = broker()
    sub = raw(b, version)
    sub.connect("dupsub")
    sub.subscribe([("q2/dup", 2)])
    c = raw(b, version)
    c.connect("duppub")
    c.send(R.publish("q2/dup", b"once", qos=2, pid=9, version=version))
    assert c.expect(R.PUBREC).pid == 9
    c.send(R.publish("q2/dup", b"once", qos=2, pid=9, dup=True, version=version))
    assert c.expect(R.PUBREC).pid == 9
    c.send(R.pubrel(9, version=version))
    assert c.expect(R.PUBCOMP).pid == 9
    sub.receive_message()
    extra = sub.read_all(1.0)
    assert not [p for p in extra if p.type == R.PUBLISH], extra


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_qos2_subscriber_flow_broker_sends_pubrel_after_pubrec(broker, raw, connected,
                                                              version):
    # Broker-to-client QoS 2: PUBLISH, our PUBREC, its PUBREL, our PUBCOMP (MQTT-4.3.3-1).
    b = broker()
    sub = raw(b, version)
    sub.connect("q2rx")
    sub.subscribe([("q2/rx", 2)])
    pub = connected(b)
    pub.publish("q2/rx", b"m", qos=2)
    p = sub.expect(R.PUBLISH)
    assert p.qos == 2 and p.pid and not p.dup
    sub.send(R.pubrec(p.pid, version=version))
    rel = sub.expect(R.PUBREL)
    assert rel.pid == p.pid and rel.flags == 0x02  # MQTT-3.6.1-1: PUBREL flags 0010
    sub.send(R.pubcomp(p.pid, version=version))
    # The flow is complete: nothing else is resent.
    assert not sub.read_all(1.0)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_qos0_has_no_packet_identifier_and_no_ack(broker, raw, connected, version):
    b = broker()
    sub = raw(b, version)
    sub.connect("q0rx")
    sub.subscribe([("q0/rx", 0)])
    pub = connected(b)
    pub.publish("q0/rx", b"fire and forget", qos=0)
    p = sub.expect(R.PUBLISH)
    assert p.qos == 0 and p.pid is None and p.payload == b"fire and forget"


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_empty_and_binary_payloads_pass_through(broker, connected, version):
    b = broker()
    sub = connected(b, version=version)
    pub = connected(b, version=version)
    topic = unique_topic()
    sub.subscribe(topic, qos=1)
    blob = bytes(range(256)) * 40
    pub.publish(topic, b"", qos=1)
    pub.publish(topic, blob, qos=1)
    got = sub.wait_for(2)
    assert [m.payload for m in got] == [b"", blob]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_publisher_receives_own_message_when_subscribed(broker, connected, version):
    b = broker()
    c = connected(b, version=version)
    topic = unique_topic()
    c.subscribe(topic, qos=1)
    c.publish(topic, b"echo", qos=1)
    (m,) = c.wait_for(1)
    assert m.payload == b"echo"


def test_many_subscribers_fan_out(broker, connected):
    b = broker()
    topic = unique_topic()
    subs = [connected(b, version=v) for v in (4, 5, 4, 5, 4)]
    for s in subs:
        s.subscribe(topic, qos=1)
    pub = connected(b)
    for i in range(10):
        pub.publish(topic, str(i).encode(), qos=1)
    for s in subs:
        assert [m.payload for m in s.wait_for(10)] == [str(i).encode() for i in range(10)]
