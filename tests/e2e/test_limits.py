"""Per-session queue limits, message and packet size limits, connection limit, and the
other mosquitto.conf limit directives."""

import socket
import time

import pytest

import rawmqtt as R
from harness import HOST, V5, V311, VERSION_IDS, VERSIONS, props, unique_id, unique_topic


def _persistent(client, b, cid, version):
    c = client(b, version=version, client_id=cid, clean=False)
    kw = {"properties": props("CONNECT", SessionExpiryInterval=300)} if version == V5 else {}
    return c, c.ok(**kw)


def _queue_while_offline(client, connected, b, version, messages):
    """Subscribe a persistent session at QoS 1, go offline, publish `messages` (payload,
    qos) and come back; returns what the session then receives."""
    cid = unique_id()
    topic = unique_topic("queue")
    c, _ = _persistent(client, b, cid, version)
    c.subscribe(topic, qos=1)
    c.disconnect()
    pub = connected(b, version=V5)
    for payload, qos in messages:
        pub.publish(topic, payload, qos=qos)
    # QoS 0 publishes complete when written, not when the broker has routed them; a QoS 1
    # handshake on the same connection completes after everything before it was routed, so
    # the session cannot come back in time to receive the last QoS 0 message online.
    pub.publish(unique_topic("sync"), b"sync", qos=1)
    c2, ack = _persistent(client, b, cid, version)
    assert ack.session_present
    return c2.received(settle=1.0)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_max_queued_messages_offline_session_gets_at_most_n(broker, client, connected,
                                                            version):
    # mosquitto.conf max_queued_messages: QoS 1/2 messages above the limit are dropped
    # ("subsequent messages will be silently dropped").
    b = broker(max_queued_messages=5)
    sent = [(f"m{i:02d}".encode(), 1) for i in range(20)]
    got = _queue_while_offline(client, connected, b, version, sent)
    assert [m.payload for m in got] == [p for p, _ in sent[:5]]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_max_queued_bytes_offline_session(broker, client, connected, version):
    # mosquitto.conf max_queued_bytes: queued until the byte limit is reached, then
    # dropped.
    b = broker(max_queued_bytes=1000)
    sent = [(f"m{i:02d}".encode() + b"x" * 197, 1) for i in range(20)]
    got = _queue_while_offline(client, connected, b, version, sent)
    assert 3 <= len(got) <= 5, len(got)
    assert [m.payload for m in got] == [p for p, _ in sent[:len(got)]]
    assert sum(len(m.payload) for m in got) <= 1000


def test_qos0_not_queued_for_offline_session_by_default(broker, client, connected):
    # queue_qos0_messages defaults to false: offline sessions get only QoS 1/2.
    b = broker()
    sent = [(b"zero", 0), (b"one", 1), (b"zero-again", 0)]
    got = _queue_while_offline(client, connected, b, V311, sent)
    assert [m.payload for m in got] == [b"one"]


def test_queue_qos0_messages_queues_qos0_for_offline_session(broker, client, connected):
    b = broker(queue_qos0_messages=True)
    sent = [(b"zero", 0), (b"one", 1), (b"zero-again", 0)]
    got = _queue_while_offline(client, connected, b, V311, sent)
    assert [m.payload for m in got] == [b"zero", b"one", b"zero-again"]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_qos1_messages_kept_when_queue_full_of_qos0(broker, client, connected, version):
    # QoS 0 is dropped first: QoS 0 messages in the queue never cost QoS 1 messages
    # their place (Mosquitto counts them apart; Roost evicts QoS 0 first).
    b = broker(max_queued_messages=5, queue_qos0_messages=True)
    sent = ([(f"o{i}".encode(), 1) for i in range(3)] + [(f"z{i}".encode(), 0) for i in
                                                         range(5)]
            + [(f"p{i}".encode(), 1) for i in range(3)])
    got = _queue_while_offline(client, connected, b, version, sent)
    assert [m.payload for m in got if m.qos == 1] == [b"o0", b"o1", b"o2", b"p0", b"p1"]


# Mosquitto 2.0.11 applies max_queued_messages to QoS 0 and QoS 1/2 separately, so an
# offline session can hold 2 x N messages.
@pytest.mark.roost_only
def test_qos0_dropped_first_and_queue_never_exceeds_n(broker, client, connected):
    b = broker(max_queued_messages=5, queue_qos0_messages=True)
    sent = [(f"z{i}".encode(), 0) for i in range(5)] + [(f"o{i}".encode(), 1) for i in
                                                        range(5)]
    got = _queue_while_offline(client, connected, b, V311, sent)
    assert [m.payload for m in got] == [b"o0", b"o1", b"o2", b"o3", b"o4"]


# ---------------------------------------------------------------- message_size_limit


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_message_size_limit_v311_too_large_publish_dropped(broker, raw, connected, qos):
    # mosquitto.conf message_size_limit: larger payloads are dropped; v3.1.1 has no way to
    # say so, the connection stays up.
    b = broker(message_size_limit=100)
    topic = unique_topic("msl")
    sub = connected(b)
    sub.subscribe(topic, qos=2)
    r = raw(b)
    r.connect(unique_id())
    r.send(R.publish(topic, b"x" * 200, qos=qos, pid=1))
    if qos:
        assert r.expect(R.PUBACK if qos == 1 else R.PUBREC).pid == 1
    if qos == 2:
        r.send(R.pubrel(1))
        r.expect(R.PUBCOMP)
    r.publish(topic, b"x" * 100, qos=1)
    assert [len(m.payload) for m in sub.received(settle=0.6)] == [100]
    assert r.is_open()


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_message_size_limit_v5_too_large_publish_refused(broker, raw, connected, qos):
    # v5: refused with 0x95 Packet too large: on the PUBACK/PUBREC (Mosquitto) or as
    # DISCONNECT 0x95 and close (Roost). Never delivered.
    b = broker(message_size_limit=100)
    topic = unique_topic("msl")
    sub = connected(b)
    sub.subscribe(topic, qos=2)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish(topic, b"x" * 200, qos=qos, pid=1, version=R.V5))
    got = r.read_all(1.0)
    if any(p.type == R.DISCONNECT for p in got):
        assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x95)], got
        assert not r.is_open(2.0)
    else:
        assert [(p.type, p.rc) for p in got] == ([] if qos == 0 else [
            (R.PUBACK if qos == 1 else R.PUBREC, 0x95)]), got
    assert sub.received(settle=0.3) == []
    assert b.accepts_clients()


# As Mosquitto does: a payload over message_size_limit is refused with PUBACK 0x95 (Packet too
# large) and the connection stays up, so one oversized message costs the client nothing more.
def test_message_size_limit_v5_puback_0x95_and_connection_kept(broker, raw):
    b = broker(message_size_limit=100)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("msl/x", b"x" * 200, qos=1, pid=1, version=R.V5))
    ack = r.read(5)
    assert (ack.type, ack.pid, ack.rc) == (R.PUBACK, 1, 0x95), ack
    r.send(R.publish("msl/x", b"small", qos=1, pid=2, version=R.V5))
    ack = r.read(5)
    assert (ack.type, ack.pid) == (R.PUBACK, 2) and ack.rc in (0x00, 0x10), ack


# ---------------------------------------------------------------- max_packet_size


def test_max_packet_size_in_v5_connack(broker, raw):
    # Section 3.2.2.3.6: the server's Maximum Packet Size.
    b = broker(max_packet_size=1000)
    r = raw(b, R.V5)
    assert r.connect(unique_id()).props.get("MaximumPacketSize") == 1000


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_max_packet_size_exceeded_closes_connection(broker, raw, connected, version):
    # Sections 3.2.2.3.6 and 4.13: a packet over the server's Maximum
    # Packet Size -> DISCONNECT 0x95 Packet too large (v5) and close.
    b = broker(max_packet_size=1000)
    topic = unique_topic("mps")
    sub = connected(b)
    sub.subscribe(topic, qos=1)
    r = raw(b, version)
    r.connect(unique_id())
    r.publish(topic, b"x" * 900, qos=1)  # fits
    r.send(R.publish(topic, b"x" * 2000, qos=1, pid=2, version=version))
    got = r.wait_closed(5)
    expected = [(R.DISCONNECT, 0x95)] if version == R.V5 else []
    assert [(p.type, p.rc) for p in got] == expected, got
    assert [len(m.payload) for m in sub.received(settle=0.5)] == [900]


def test_max_packet_size_applies_to_subscribe_too(broker, raw):
    b = broker(max_packet_size=200)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("f/" + "x" * 300, 0)], version=R.V5))
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x95)], got


# ---------------------------------------------------------------- max_connections


def _tcp_refused_or_closed(b):
    """Open a TCP connection and CONNECT; True if the broker refuses it."""
    r = R.RawClient(b.port, b.host, R.V5)
    try:
        r.send(R.connect(unique_id(), version=R.V5))
        try:
            p = r.read(3)
        except (R.Closed, OSError):
            return True
        except R.Timeout:
            return False
        return p.type == R.CONNACK and p.rc >= 0x80
    except OSError:
        return True
    finally:
        r.close()


def _fill_connections(b, raw, n):
    time.sleep(0.2)  # the harness's startup probe connection must be gone
    clients = [raw(b, R.V5) for _ in range(n)]
    for c in clients:
        assert c.connect(unique_id()).rc == 0
    return clients


def test_max_connections_limits_connections(broker, raw):
    # mosquitto.conf max_connections: connections past the limit are refused (closed,
    # or v5 CONNACK 0x97 Quota exceeded); the others are unaffected, and a freed slot
    # can be used again. Mosquitto admits one extra, so this checks N+2.
    b = broker(max_connections=3)
    clients = _fill_connections(b, raw, 3)
    extra = raw(b, R.V5)
    try:
        extra_ok = extra.connect(unique_id()).rc == 0
    except (R.Closed, OSError):
        extra_ok = False
    assert _tcp_refused_or_closed(b)
    assert all(c.is_open(0.1) for c in clients)
    (extra if extra_ok else clients[0]).disconnect()
    clients[1].disconnect()
    time.sleep(0.3)
    assert raw(b, R.V5).connect(unique_id()).rc == 0


# Mosquitto 2.0.11 accepts max_connections + 1 clients (off by one).
@pytest.mark.roost_only
def test_max_connections_n_plus_one_refused(broker, raw):
    b = broker(max_connections=3)
    clients = _fill_connections(b, raw, 3)
    assert _tcp_refused_or_closed(b)
    assert all(c.is_open(0.1) for c in clients)
    clients[0].disconnect()
    time.sleep(0.3)
    assert raw(b, R.V5).connect(unique_id()).rc == 0


# ---------------------------------------------------------------- client ids, expiration


@pytest.mark.parametrize("version,codes", [(R.V311, [0x02]), (R.V5, [0x85, 0x80])],
                         ids=VERSION_IDS)
def test_allow_zero_length_clientid_false_refuses_empty_id(broker, raw, version, codes):
    # MQTT-3.1.3-8 (v3.1.1: 0x02 Identifier rejected) / MQTT-3.1.3-8 in v5 (0x85 Client
    # Identifier not valid is the MAY; Mosquitto sends 0x80), then close.
    b = broker(allow_zero_length_clientid=False)
    r = raw(b, version)
    assert r.connect("", clean=True).rc in codes
    r.wait_closed(5)
    assert raw(b, version).connect("named").rc == 0


def test_persistent_client_expiration_keeps_recent_sessions(broker, client):
    # persistent_client_expiration 1h: a session disconnected for a moment is kept.
    b = broker(persistent_client_expiration="1h")
    cid = unique_id()
    c, _ = _persistent(client, b, cid, V311)
    c.subscribe(unique_topic(), qos=1)
    c.disconnect()
    _, ack = _persistent(client, b, cid, V311)
    assert ack.session_present


def test_connection_to_port_without_listener_fails(broker):
    b = broker()
    s = socket.socket()
    try:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    finally:
        s.close()
    assert port != b.port
    with pytest.raises(OSError):
        socket.create_connection((HOST, port), timeout=2).close()
