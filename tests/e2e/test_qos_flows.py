"""QoS 1/2 state across reconnects (DUP redelivery, PUBREL resend) and the in-flight
window toward a subscriber that does not acknowledge."""

import time

import pytest

import rawmqtt as R
from harness import V5, V311, VERSION_IDS, props, unique_id, unique_topic

VERSIONS = [R.V311, R.V5]


def _persistent(raw, b, version, cid, **kw):
    """A raw connection resuming (or starting) a persistent session."""
    r = raw(b, version)
    props = {"SessionExpiryInterval": 300} if version == R.V5 else None
    ack = r.connect(cid, clean=False, props=props, **kw)
    assert ack.rc == 0
    return r, ack


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_unacked_qos1_redelivered_with_dup_and_same_packet_id(broker, raw, connected,
                                                              version):
    # MQTT-4.4.0-1: on reconnect with a session, unacknowledged PUBLISH packets are resent
    # with their original packet identifiers; MQTT-3.3.1-1: with DUP 1.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    r, _ = _persistent(raw, b, version, cid)
    r.subscribe([(topic, 1)])
    connected(b).publish(topic, b"ack me", qos=1)
    first = r.expect(R.PUBLISH)
    assert first.qos == 1 and not first.dup
    r.close()  # no PUBACK
    r2, ack = _persistent(raw, b, version, cid)
    assert ack.session_present
    again = r2.expect(R.PUBLISH)
    assert (again.pid, again.dup, again.payload, again.topic) == (first.pid, True, b"ack me",
                                                                 topic)
    r2.send(R.puback(again.pid, version=version))
    assert not [p for p in r2.read_all(1.0) if p.type == R.PUBLISH]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_unacked_qos2_publish_redelivered_with_dup(broker, raw, connected, version):
    # MQTT-4.4.0-1 / MQTT-3.3.1-1 for QoS 2 before PUBREC.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    r, _ = _persistent(raw, b, version, cid)
    r.subscribe([(topic, 2)])
    connected(b).publish(topic, b"exactly once", qos=2)
    first = r.expect(R.PUBLISH)
    r.close()  # no PUBREC
    r2, _ = _persistent(raw, b, version, cid)
    again = r2.expect(R.PUBLISH)
    assert (again.pid, again.dup, again.qos) == (first.pid, True, 2)
    r2.send(R.pubrec(again.pid, version=version))
    assert r2.expect(R.PUBREL).pid == again.pid
    r2.send(R.pubcomp(again.pid, version=version))
    assert not r2.read_all(1.0)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_pubrel_resent_after_reconnect_when_pubcomp_missing(broker, raw, connected,
                                                            version):
    # MQTT-4.4.0-1: after our PUBREC the broker's PUBREL is resent on reconnect, and the
    # PUBLISH is not sent again.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    r, _ = _persistent(raw, b, version, cid)
    r.subscribe([(topic, 2)])
    connected(b).publish(topic, b"q2", qos=2)
    p = r.expect(R.PUBLISH)
    r.send(R.pubrec(p.pid, version=version))
    assert r.expect(R.PUBREL).pid == p.pid
    r.close()  # no PUBCOMP
    r2, _ = _persistent(raw, b, version, cid)
    rel = r2.expect(R.PUBREL)
    assert rel.pid == p.pid
    r2.send(R.pubcomp(rel.pid, version=version))
    assert not [x for x in r2.read_all(1.0) if x.type == R.PUBLISH]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_publisher_qos2_pubrel_after_reconnect_delivers_once(broker, raw, connected,
                                                            version):
    # MQTT-4.3.3: the publisher's exchange survives its reconnect; after PUBREL the
    # subscriber has exactly one copy.
    b = broker()
    topic = unique_topic()
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=2)
    cid = unique_id()
    p, _ = _persistent(raw, b, version, cid)
    p.send(R.publish(topic, b"once only", qos=2, pid=31, version=version))
    assert p.expect(R.PUBREC).pid == 31
    p.close()  # no PUBREL yet
    p2, ack = _persistent(raw, b, version, cid)
    assert ack.session_present
    p2.send(R.pubrel(31, version=version))
    assert p2.expect(R.PUBCOMP).pid == 31
    sub.wait_for(1)
    assert [m.payload for m in sub.received(settle=0.5)] == [b"once only"]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_packet_ids_of_unacked_messages_are_distinct(broker, raw, connected, version):
    # MQTT-2.3.1-2 (v3.1.1): a packet identifier is not reused while its flow is open.
    b = broker()
    topic = unique_topic()
    r = raw(b, version)
    r.connect(unique_id())
    r.subscribe([(topic, 1)])
    pub = connected(b)
    for i in range(10):
        pub.publish(topic, str(i).encode(), qos=1)
    got = [r.expect(R.PUBLISH) for _ in range(10)]
    assert len({p.pid for p in got}) == 10
    assert [p.payload for p in got] == [str(i).encode() for i in range(10)]


# ---------------------------------------------------------------- in-flight window


def _flood(connected, b, topic, n, qos=1):
    pub = connected(b, version=V5)
    for i in range(n):
        pub.publish(topic, f"m{i:03d}".encode(), qos=qos, wait=False)
    return pub


def _publishes(packets):
    return [p for p in packets if p.type == R.PUBLISH]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_inflight_window_limits_unacked_messages(broker, raw, connected, version):
    # max_inflight_messages 20 (the default): a subscriber that acknowledges nothing has
    # at most 20 QoS 1 messages in flight.
    b = broker(max_inflight_messages=20)
    topic = unique_topic()
    r = raw(b, version)
    r.connect(unique_id())
    r.subscribe([(topic, 1)])
    _flood(connected, b, topic, 100)
    got = _publishes(r.read_all(2.0))
    assert len(got) == 20
    assert [p.payload for p in got] == [f"m{i:03d}".encode() for i in range(20)]


# Mosquitto 2.0.11 releases two queued messages for each PUBACK once the window is full,
# so the number in flight grows far past max_inflight_messages (to ~96 of 100 here).
@pytest.mark.roost_only
@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_inflight_window_all_messages_arrive_when_acked_one_by_one(broker, raw, connected,
                                                                   version):
    b = broker(max_inflight_messages=20)
    topic = unique_topic()
    r = raw(b, version)
    r.connect(unique_id())
    r.subscribe([(topic, 1)])
    pub = _flood(connected, b, topic, 100)
    pub.wait_for(0)  # publishing has stopped once all PUBACKs are in
    unacked = _publishes(r.read_all(2.0))
    assert len(unacked) == 20
    received = list(unacked)
    deadline = time.monotonic() + 30
    while unacked and time.monotonic() < deadline:
        p = unacked.pop(0)
        r.send(R.puback(p.pid, version=version))
        for q in _publishes(r.read_all(0.05 if len(received) < 100 else 0.3)):
            received.append(q)
            unacked.append(q)
        assert len(unacked) <= 20
    assert [p.payload for p in received] == [f"m{i:03d}".encode() for i in range(100)]


def test_inflight_window_all_messages_arrive_after_reconnect(broker, raw, connected):
    b = broker(max_inflight_messages=20)
    topic = unique_topic()
    cid = unique_id()
    r, _ = _persistent(raw, b, R.V311, cid)
    r.subscribe([(topic, 1)])
    _flood(connected, b, topic, 100)
    assert len(_publishes(r.read_all(2.0))) == 20
    r.close()
    r2, _ = _persistent(raw, b, R.V311, cid)
    payloads = []
    deadline = time.monotonic() + 30
    while len(set(payloads)) < 100 and time.monotonic() < deadline:
        p = r2.expect(R.PUBLISH, timeout=5)
        r2.send(R.puback(p.pid))
        payloads.append(p.payload)
    assert sorted(set(payloads)) == [f"m{i:03d}".encode() for i in range(100)]


def test_inflight_window_drains_with_prompt_acks(broker, connected):
    # A subscriber that does acknowledge gets every one of a burst larger than the window.
    b = broker(max_inflight_messages=5)
    topic = unique_topic()
    sub = connected(b, version=V311)
    sub.subscribe(topic, qos=1)
    _flood(connected, b, topic, 200)
    got = sub.wait_for(200, timeout=20)
    assert [m.payload for m in got] == [f"m{i:03d}".encode() for i in range(200)]


def test_max_inflight_messages_is_v5_receive_maximum(broker, raw):
    # Mosquitto reports max_inflight_messages to v5 clients as CONNACK Receive Maximum.
    b = broker(max_inflight_messages=7)
    r = raw(b, R.V5)
    assert r.connect(unique_id()).props.get("ReceiveMaximum") == 7


def _exceed_server_receive_maximum(b, raw):
    r = raw(b, R.V5)
    assert r.connect(unique_id()).props.get("ReceiveMaximum") == 3
    for pid in range(1, 4):
        r.send(R.publish("rm/x", b"x", qos=2, pid=pid, version=R.V5))
        assert r.expect(R.PUBREC).pid == pid
    r.send(R.publish("rm/x", b"x", qos=2, pid=4, version=R.V5))
    return r


def test_v5_client_exceeding_server_receive_maximum_refused(broker, raw):
    # Section 3.3.4: more unacknowledged QoS 2 PUBLISH packets than the server's Receive
    # Maximum are not accepted: DISCONNECT 0x93 (spec), or Mosquitto's PUBREC 0x97.
    b = broker(max_inflight_messages=3)
    r = _exceed_server_receive_maximum(b, raw)
    p = r.read(5)
    if p.type == R.PUBREC:
        assert p.pid == 4 and p.rc >= 0x80, p
    else:
        assert (p.type, p.rc) == (R.DISCONNECT, 0x93), p
        r.wait_closed(5)
    assert b.accepts_clients()


# Mosquitto 2.0.11 answers with PUBREC 0x97 (Quota exceeded) and keeps the connection.
@pytest.mark.roost_only
def test_v5_client_exceeding_server_receive_maximum_disconnected_0x93(broker, raw):
    # Section 3.3.4 (MQTT-3.3.4-8 family): DISCONNECT with 0x93 Receive Maximum exceeded.
    b = broker(max_inflight_messages=3)
    r = _exceed_server_receive_maximum(b, raw)
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x93)], got
    assert b.accepts_clients()


def test_v5_client_receive_maximum_limits_first_burst(broker, raw, connected):
    # MQTT-3.3.4-9: with client Receive Maximum 2 and nothing acknowledged, only two QoS 1
    # PUBLISH packets are sent.
    b = broker()
    topic = unique_topic()
    r = raw(b, R.V5)
    r.connect(unique_id(), props={"ReceiveMaximum": 2})
    r.subscribe([(topic, 1)])
    _flood(connected, b, topic, 10)
    assert len(_publishes(r.read_all(1.5))) == 2


# Mosquitto 2.0.11 sends two new messages per PUBACK once the window is full, so three or
# four are unacknowledged at once: a breach of MQTT-3.3.4-9.
@pytest.mark.roost_only
def test_v5_client_receive_maximum_honoured_by_broker(broker, raw, connected):
    # MQTT-3.3.4-9: the server does not send more unacknowledged QoS 1/2 PUBLISH packets
    # than the client's Receive Maximum (2 here), however the client acknowledges.
    b = broker()
    topic = unique_topic()
    r = raw(b, R.V5)
    r.connect(unique_id(), props={"ReceiveMaximum": 2})
    r.subscribe([(topic, 1)])
    _flood(connected, b, topic, 10)
    inflight = _publishes(r.read_all(1.5))
    assert len(inflight) == 2
    received = list(inflight)
    while len(received) < 10:
        p = inflight.pop(0)
        r.send(R.puback(p.pid, version=R.V5))
        more = _publishes(r.read_all(0.5))
        assert len(more) == 1, more
        inflight += more
        received += more
    assert [p.payload for p in received] == [f"m{i:03d}".encode() for i in range(10)]


@pytest.mark.roost_only  # as above (Mosquitto exceeds the client's Receive Maximum)
def test_v5_client_receive_maximum_with_paho_manual_ack(broker, client, connected):
    b = broker()
    topic = unique_topic()
    sub = client(b, version=V5, manual_ack=True)
    sub.ok(properties=props("CONNECT", ReceiveMaximum=2))
    sub.subscribe(topic, qos=2)
    _flood(connected, b, topic, 6, qos=2)
    assert len(sub.received(settle=1.0)) == 2
    acked = 0
    while acked < 6:
        m = sub.received()[acked]
        sub.ack(m.mid, m.qos)
        acked += 1
        sub.wait_for(min(acked + 2, 6), timeout=5)
        assert len(sub.received(settle=0.2)) <= acked + 2
    assert [m.payload for m in sub.received()] == [f"m{i:03d}".encode() for i in range(6)]
