"""Bad input. Each case runs while two paho clients publish QoS 1 to each other in the
background: the bad connection alone is closed (MQTT 5: DISCONNECT with a reason code
first where the spec or the brief asks for it), the broker keeps running and serving,
and the background traffic loses nothing."""

import socket
import threading
import time

import pytest

import rawmqtt as R
from harness import Traffic, unique_id, unique_topic

MAX_PACKET = 1024 * 1024


@pytest.fixture
def guarded(broker, client):
    """A broker with background traffic; after the test, traffic and liveness are
    checked."""
    b = broker(max_packet_size=MAX_PACKET)
    t = Traffic(b, client)
    t.wait_sent(5)
    yield b
    t.wait_sent(t.sent + 5)  # still flowing after the bad input
    assert b.alive(), f"broker died; log:\n{b.log_text()[-3000:]}"
    assert b.accepts_clients()
    t.check()


def _connect_bytes(version, **kw):
    return R.connect(unique_id("bad"), version=version, **kw)


def _with_connect_flags(version, extra_flags, **kw):
    """A CONNECT whose connect-flags byte has `extra_flags` OR-ed in."""
    pkt = bytearray(_connect_bytes(version, **kw))
    # fixed header (2) + protocol name (6) + level (1) -> flags at offset 9
    pkt[9] |= extra_flags
    return bytes(pkt)


# name, version, send CONNECT first?, bytes to send, DISCONNECT codes allowed (v5), must
# the v5 DISCONNECT be sent (True) or may the broker just close (False)
CASES = [
    ("garbage_before_connect", R.V311, False, bytes(range(256)) * 4, (), False),
    ("garbage_after_connect_v311", R.V311, True, b"\xff" * 1024, (), False),
    ("garbage_after_connect_v5", R.V5, True, b"\x00\x00" + bytes(range(256)),
     (0x81, 0x82), False),
    ("remaining_length_over_max_before_connect", R.V311, False, b"\x10\xff\xff\xff\xff\x7f",
     (), False),
    ("remaining_length_over_max_v311", R.V311, True, b"\x30\xff\xff\xff\xff\x7f", (), False),
    ("remaining_length_over_max_v5", R.V5, True, b"\x30\xff\xff\xff\xff\x7f", (0x81,),
     False),
    ("publish_before_connect_v311", R.V311, False, R.publish("a/b", b"x"), (), False),
    ("publish_before_connect_v5", R.V5, False, R.publish("a/b", b"x", version=R.V5), (),
     False),
    ("subscribe_before_connect", R.V311, False, R.subscribe(1, [("#", 0)]), (), False),
    # MQTT-3.3.2-2: no wildcards in a PUBLISH topic name.
    ("wildcard_plus_in_publish_topic_v311", R.V311, True, R.publish("a/+/c", b"x"), (),
     False),
    ("wildcard_hash_in_publish_topic_v311", R.V311, True,
     R.publish("a/#", b"x", qos=1, pid=1), (), False),
    ("wildcard_plus_in_publish_topic_v5", R.V5, True,
     R.publish("a/+/c", b"x", version=R.V5), (0x90, 0x82), True),
    ("wildcard_hash_in_publish_topic_v5", R.V5, True,
     R.publish("a/#", b"x", qos=1, pid=1, version=R.V5), (0x90, 0x82), True),
    # MQTT-1.5.3-1 (v3.1.1) / MQTT-1.5.4-1 (v5): ill-formed UTF-8 closes the connection.
    ("invalid_utf8_in_topic_v311", R.V311, True, R.publish(b"a/\xff\xfe", b"x"), (), False),
    ("invalid_utf8_in_topic_v5", R.V5, True, R.publish(b"a/\xff\xfe", b"x", version=R.V5),
     (0x81, 0x82), False),
    ("utf16_surrogate_in_topic_v311", R.V311, True, R.publish(b"a/\xed\xa0\x80", b"x"), (),
     False),
    # MQTT-4.7.3-2: no U+0000 in topic names.
    ("null_character_in_topic_v311", R.V311, True, R.publish("a/\x00b", b"x"), (), False),
    ("null_character_in_topic_v5", R.V5, True, R.publish("a/\x00b", b"x", version=R.V5),
     (0x81, 0x82), False),
    # MQTT-3.3.1-4: QoS 3.
    ("publish_qos_3", R.V311, True, b"\x36\x05\x00\x01a\x00\x01", (), False),
    # MQTT-2.3.1-1: QoS > 0 needs a non-zero packet identifier.
    ("publish_packet_id_zero", R.V5, True,
     R.publish("a", b"x", qos=1, pid=0, version=R.V5), (0x81, 0x82), False),
    # MQTT-2.2.2-2 / MQTT-3.8.1-1 / MQTT-3.6.1-1: reserved fixed-header flags.
    ("subscribe_wrong_flags", R.V311, True, b"\x80" + R.subscribe(1, [("a", 0)])[1:], (),
     False),
    ("pubrel_wrong_flags", R.V5, True, b"\x60\x02\x00\x01", (0x81, 0x82), False),
    ("reserved_packet_type_0", R.V311, True, b"\x00\x00", (), False),
    ("auth_packet_in_v311", R.V311, True, b"\xf0\x00", (), False),
    # MQTT-3.8.3-3 / MQTT-3.10.3-2: SUBSCRIBE / UNSUBSCRIBE with no topic filter.
    ("subscribe_without_filters", R.V311, True, R.fixed(R.SUBSCRIBE, 2, b"\x00\x01"), (),
     False),
    ("unsubscribe_without_filters_v5", R.V5, True, R.fixed(R.UNSUBSCRIBE, 2, b"\x00\x01\x00"),
     (0x81, 0x82), False),
    # MQTT-3.1.2-1: protocol name; MQTT-3.1.2-3: reserved flag; MQTT-3.1.2-13: will QoS
    # without will flag; MQTT-3.1.2-22 (v3.1.1): password without user name.
    ("connect_wrong_protocol_name", R.V311, False,
     R.connect("x", protocol_name="MQXX"), (), False),
    ("connect_reserved_flag_set", R.V311, False, _with_connect_flags(R.V311, 0x01), (),
     False),
    ("connect_will_qos_without_will_flag", R.V5, False, _with_connect_flags(R.V5, 0x08), (),
     False),
    ("connect_password_without_username_v311", R.V311, False,
     R.connect("x", password=b"secret"), (), False),
]


@pytest.mark.parametrize("name,version,connect_first,data,v5_codes,must_disconnect",
                         CASES, ids=[c[0] for c in CASES])
def test_bad_input_closes_only_that_connection(guarded, raw, name, version, connect_first,
                                               data, v5_codes, must_disconnect):
    b = guarded
    r = raw(b, version)
    if connect_first:
        assert r.connect(unique_id("bad")).rc == 0
    try:
        r.send(data)
    except OSError:
        pass  # already closed by the broker
    got = r.wait_closed(5)
    if not connect_first:
        # Before a successful CONNECT the broker sends nothing but a refusing CONNACK.
        assert all(p.type == R.CONNACK and p.rc >= 0x01 for p in got), got
    elif version == R.V5:
        assert all(p.type == R.DISCONNECT and p.rc in v5_codes for p in got), got
        if must_disconnect:
            assert [p.type for p in got] == [R.DISCONNECT], got
    else:
        assert got == [], got  # v3.1.1 has no DISCONNECT from the server


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=["v311", "v5"])
@pytest.mark.parametrize("where", ["connect", "publish"])
def test_truncated_packet_then_close(guarded, raw, version, where):
    b = guarded
    r = raw(b, version)
    if where == "connect":
        pkt = R.connect(unique_id("trunc"), version=version, keepalive=60)
    else:
        assert r.connect(unique_id("trunc")).rc == 0
        pkt = R.publish("t/trunc", b"x" * 500, qos=1, pid=7, version=version)
    r.send(pkt[:len(pkt) // 2])
    time.sleep(0.2)
    r.close()


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=["v311", "v5"])
def test_truncated_publish_left_hanging_does_not_block_others(guarded, raw, connected,
                                                              version):
    b = guarded
    r = raw(b, version)
    r.connect(unique_id("hang"))
    pkt = R.publish("t/hang", b"x" * 500, qos=1, pid=7, version=version)
    r.send(pkt[:100])
    topic = unique_topic("hang")
    c = connected(b)
    c.subscribe(topic, qos=1)
    c.publish(topic, b"others unaffected", qos=1)
    assert c.wait_for(1)[0].payload == b"others unaffected"


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=["v311", "v5"])
def test_10mb_packet_above_max_packet_size(guarded, raw, version):
    # Section 3.2.2.3.6 / 4.13: v5 gets DISCONNECT 0x95 Packet too large, then close.
    b = guarded
    r = raw(b, version, timeout=10)
    r.connect(unique_id("huge"))
    size = 10 * 1024 * 1024
    body = R.utf8("t/huge") + b"\x00\x01" + (b"\x00" if version == R.V5 else b"")
    header = b"\x32" + R.varint(len(body) + size) + body
    r.send(header + b"\x00" * 65536)
    got = []
    sent = 65536
    chunk = b"\x00" * 262144
    while True:
        try:
            got += r.read_all(0.2)
        except R.Closed:
            break
        if r.eof:
            break
        if sent >= size:
            got += r.wait_closed(5)
            break
        try:
            r.send(chunk)
            sent += len(chunk)
        except OSError:
            try:
                got += r.wait_closed(2)
            except (AssertionError, OSError):
                pass
            break
    if version == R.V5:
        assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x95)], got
    else:
        assert got == [], got


def test_silent_tcp_client_does_not_disturb_others(guarded, raw, connected):
    # A connection that never sends CONNECT holds no resources others need.
    b = guarded
    silent = [socket.create_connection((b.host, b.port)) for _ in range(20)]
    try:
        topic = unique_topic("silent")
        c = connected(b)
        c.subscribe(topic, qos=1)
        c.publish(topic, b"still served", qos=1)
        assert c.wait_for(1)[0].payload == b"still served"
    finally:
        for s in silent:
            s.close()


# Mosquitto 2.0.11 never closes a TCP connection that sends no CONNECT (still open after
# 30 s); Roost closes it after a connect timeout.
@pytest.mark.roost_only
def test_silent_tcp_client_closed_after_connect_timeout(guarded, raw):
    b = guarded
    r = raw(b)
    start = time.monotonic()
    assert r.wait_closed(15) == []
    assert time.monotonic() - start <= 15


def test_connect_sent_one_byte_at_a_time(guarded, raw):
    # Not bad input, but a slow sender: the packet is reassembled.
    b = guarded
    r = raw(b)
    for byte in R.connect(unique_id("slow")):
        r.send(bytes([byte]))
        time.sleep(0.005)
    assert r.expect(R.CONNACK).rc == 0


def test_connection_churn(guarded):
    # Many connections opened and dropped at once, some mid-CONNECT.
    b = guarded
    for i in range(200):
        s = socket.create_connection((b.host, b.port))
        if i % 3 == 0:
            s.sendall(R.connect(unique_id("churn"))[:5])
        elif i % 3 == 1:
            s.sendall(R.connect(unique_id("churn")))
        s.close()


def test_subscriber_that_never_reads_does_not_block_others(guarded, raw, connected):
    # A slow consumer (its TCP window full) must not stall delivery to anyone else.
    b = guarded
    topic = unique_topic("stuck")
    stuck = raw(b)
    stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(unique_id("stuck"))
    stuck.subscribe([(topic, 0)])
    pub = connected(b)
    payload = b"z" * 65536
    done = threading.Event()

    def flood():
        for _ in range(200):  # 12.5 MiB at QoS 0
            pub.publish(topic, payload, qos=0, wait=False)
        done.set()

    threading.Thread(target=flood, daemon=True).start()
    assert done.wait(20)
    other = unique_topic("free")
    c = connected(b)
    c.subscribe(other, qos=1)
    c.publish(other, b"not stuck", qos=1)
    assert c.wait_for(1, timeout=10)[0].payload == b"not stuck"
