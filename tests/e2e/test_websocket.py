"""MQTT over WebSocket (`protocol websockets`, MQTT 5.0 §6 / 3.1.1 §6): paho-mqtt with
transport="websockets" on `/mqtt` and `/`, messages both ways between a WebSocket client and a
TCP client (mosquitto_pub / mosquitto_sub), a hand-written WebSocket client (wsraw.py) that cuts
MQTT packets across frames and sends what libraries will not, bad input while background
traffic must lose nothing, and the embedded 127.0.0.1:8083 listener of a broker started without
a configuration file.

Debian's Mosquitto 2.0.11 is built without WebSocket support, so these are `roost_only`.
"""

import fcntl
import os
import socket
import subprocess
import time

import pytest

import rawmqtt as R
import wsraw
from harness import (HOST, IS_MOSQUITTO, ROOST_BIN, V5, VERSION_IDS, VERSIONS, MosquittoSub,
                     Traffic, free_port, mosquitto_pub, unique_id, unique_topic, wait_until)
from wsclient import WsClient

pytestmark = pytest.mark.roost_only

WS_CONF = ["listener {port} 127.0.0.1", "listener {port2} 127.0.0.1", "protocol websockets",
           "allow_anonymous true"]
CLI_VERSION = {4: "mqttv311", 5: "mqttv5"}


@pytest.fixture
def ws_broker(broker):
    """A broker with MQTT on `b.port` and MQTT over WebSocket on `b.ports[1]`."""
    return broker(conf=WS_CONF)


@pytest.fixture
def ws_client():
    made = []

    def make(b, **kw):
        kw.setdefault("port", b.ports[1])
        c = WsClient(b, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def ws_raw():
    made = []

    def make(b, version=R.V311, **kw):
        r = wsraw.WsMqtt(b.ports[1], HOST, version, **kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def raw_socket(b, timeout=5.0):
    s = socket.create_connection((HOST, b.ports[1]), timeout=timeout)
    return s, "%s:%d" % s.getsockname()


def wait_log(b, *needles, timeout=10.0):
    """Wait until one line of the broker log has every needle; returns that line."""
    def line():
        for ln in b.log_text().splitlines():
            if all(n in ln for n in needles):
                return ln
        return None
    return wait_until(line, timeout, message=f"a log line with {needles}")


# ------------------------------------------------------------------ paho over WebSocket

@pytest.mark.parametrize("path", ["/mqtt", "/"], ids=["path_mqtt", "path_root"])
@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_paho_websocket_and_tcp_clients_exchange_qos_0_1_2(ws_broker, ws_client, version, path):
    b = ws_broker
    ws = ws_client(b, version=version, path=path)
    assert ws.ok().value == 0
    topic = unique_topic("ws")
    assert ws.subscribe(f"{topic}/to-ws", qos=2) == [2]
    sub = MosquittoSub(b, f"{topic}/to-tcp", version=CLI_VERSION[version], qos=2)
    try:
        sub.wait_subscribed()
        for qos in (0, 1, 2):
            mosquitto_pub(b, f"{topic}/to-ws", f"tcp-q{qos}", version=CLI_VERSION[version],
                          qos=qos)
            ws.publish(f"{topic}/to-tcp", f"ws-q{qos}".encode(), qos=qos)
        got = ws.wait_for(3)
        assert sorted((m.payload, m.qos) for m in got) == [
            (b"tcp-q0", 0), (b"tcp-q1", 1), (b"tcp-q2", 2)]
        lines = sub.wait_for(3)
        assert sorted(lines) == [f"{q} 0 {topic}/to-tcp ws-q{q}" for q in (0, 1, 2)]
    finally:
        sub.stop()


def test_paho_websocket_clients_exchange_a_large_message(ws_broker, ws_client):
    # 300 kB: several of the broker's outgoing WebSocket messages for one PUBLISH.
    b = ws_broker
    a, z = ws_client(b), ws_client(b, path="/ws")
    a.ok()
    z.ok()
    topic = unique_topic("big")
    z.subscribe(topic, qos=1)
    payload = bytes(range(256)) * 1200
    a.publish(topic, payload, qos=1)
    assert z.wait_for(1)[0].payload == payload


def test_the_upgrade_answers_the_mqtt_subprotocol(ws_broker):
    b = ws_broker
    for offered, answered in [("mqtt", "mqtt"), ("mqttv3.1", "mqttv3.1"),
                              ("chat, mqtt", "mqtt"), (None, None)]:
        r = wsraw.WsMqtt(b.ports[1], HOST, subprotocol=offered)
        try:
            assert r.answer.headers.get("sec-websocket-protocol") == answered, r.answer
            assert r.connect(unique_id("sp")).rc == 0
        finally:
            r.close()


def test_websockets_headers_size_bounds_the_request_head(broker):
    b = broker(conf=WS_CONF + ["websockets_headers_size 512"])
    small = wsraw.WsMqtt(b.ports[1], HOST)
    try:
        assert small.connect(unique_id("small")).rc == 0
    finally:
        small.close()
    s, peer = raw_socket(b)
    try:
        request, _ = wsraw.upgrade_request(HOST, b.ports[1], extra=["Cookie: " + "c" * 600])
        s.sendall(request)
        answer, _ = wsraw.read_http_answer(s, whole=True)
        assert answer.status == 431, answer
        wait_log(b, peer, "too large")
    finally:
        s.close()


# ------------------------------------------------------------------ frames cut by hand

@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_two_packets_in_one_frame_are_both_answered(ws_broker, ws_raw, version):
    # MQTT-6.0.0-2: the receiver must not assume packets are aligned on frame boundaries.
    r = ws_raw(ws_broker, version)
    topic = unique_topic("packed")
    r.send(R.connect(unique_id("packed"), version=version)
           + R.subscribe(1, [(topic, 1)], version=version))
    assert r.expect(R.CONNACK).rc == 0
    assert r.expect(R.SUBACK).codes == [1]


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_packets_in_the_same_tcp_read_as_connect_are_answered(ws_broker, raw, version):
    # Regression: the broker handled what followed CONNECT in one read only at the next read.
    r = raw(ws_broker, version)
    topic = unique_topic("pipelined")
    r.send(R.connect(unique_id("pipelined"), version=version)
           + R.subscribe(1, [(topic, 1)], version=version))
    assert r.expect(R.CONNACK).rc == 0
    assert r.expect(R.SUBACK).codes == [1]


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_one_packet_split_across_three_frames_is_read_whole(ws_broker, ws_raw, version):
    r = ws_raw(ws_broker, version)
    assert r.connect(unique_id("split")).rc == 0
    topic = unique_topic("split")
    r.subscribe([(topic, 1)])
    packet = R.publish(topic, b"cut in three", qos=1, pid=7, version=version)
    r.send_split(packet, [1, 5])  # inside the fixed header, inside the topic
    assert r.expect(R.PUBACK).pid == 7
    got = r.expect(R.PUBLISH)
    assert (got.topic, got.payload, got.qos) == (topic, b"cut in three", 1)


def test_a_ping_frame_is_answered_with_a_pong(ws_broker, ws_raw):
    r = ws_raw(ws_broker)
    assert r.connect(unique_id("ping")).rc == 0
    r.send_frame(wsraw.PING, b"hello")
    deadline = time.monotonic() + 5
    while not r.frames or r.frames[0] & 0x0F != wsraw.PONG:
        r.sock.settimeout(max(0.01, deadline - time.monotonic()))
        r.frames += r.sock.recv(4096)
    assert r._take_frame() == (wsraw.PONG, b"hello")
    r.send(R.pingreq())
    assert r.expect(R.PINGRESP)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_an_mqtt_error_inside_websocket_closes_as_on_tcp(ws_broker, ws_raw, version):
    # MQTT-3.3.2-2: no wildcard in a PUBLISH topic; MQTT 5 gets DISCONNECT first.
    r = ws_raw(ws_broker, version)
    assert r.connect(unique_id("err")).rc == 0
    r.send(R.publish("a/+/c", b"x", version=version))
    got = r.wait_closed()
    if version == R.V5:
        assert [p.type for p in got] == [R.DISCONNECT], got
        assert got[0].rc in (0x90, 0x82), got
    else:
        assert got == []


# ------------------------------------------------------------------ bad input

@pytest.fixture
def guarded(broker, client):
    """A WebSocket broker with background QoS 1 traffic on its TCP listener; afterwards
    the traffic must have lost nothing and the broker must still serve."""
    b = broker(conf=WS_CONF)
    t = Traffic(b, client)
    t.wait_sent(5)
    yield b
    t.wait_sent(t.sent + 5)
    assert b.alive(), f"broker died; log:\n{b.log_text()[-3000:]}"
    assert b.accepts_clients()
    ws = WsClient(b, b.ports[1])
    try:
        assert ws.ok().value == 0
    finally:
        ws.close()
    t.check()


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_a_text_frame_closes_that_connection(guarded, version):
    # MQTT-6.0.0-1: data in anything but binary frames closes the network connection.
    r = wsraw.WsMqtt(guarded.ports[1], HOST, version)
    try:
        peer = "%s:%d" % r.sock.getsockname()
        assert r.connect(unique_id("text")).rc == 0
        r.send_frame(wsraw.TEXT, b"hello")
        got = r.wait_closed()
        assert all(p.type == R.DISCONNECT for p in got), got
        line = wait_log(guarded, peer, "text frame")
        assert "binary" in line, line
    finally:
        r.close()


def test_a_text_frame_before_connect_closes_that_connection(guarded):
    r = wsraw.WsMqtt(guarded.ports[1], HOST)
    try:
        peer = "%s:%d" % r.sock.getsockname()
        r.send_frame(wsraw.TEXT, b"{}")
        assert r.wait_closed() == []
        wait_log(guarded, peer, "text frame")
    finally:
        r.close()


def test_http_get_without_upgrade_gets_400(guarded):
    s, peer = raw_socket(guarded)
    try:
        s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer, _ = wsraw.read_http_answer(s, whole=True)
        assert answer.status == 400, answer
        assert answer.headers["content-type"].startswith("text/plain"), answer
        assert b"WebSocket" in answer.body, answer
        assert int(answer.headers["content-length"]) == len(answer.body), answer
        line = wait_log(guarded, peer, "without a WebSocket upgrade")
        assert "GET /mqtt" in line, line
    finally:
        s.close()


def test_an_unsupported_subprotocol_gets_400(guarded):
    s, peer = raw_socket(guarded)
    try:
        request, _ = wsraw.upgrade_request(HOST, guarded.ports[1], "/", "chat")
        s.sendall(request)
        answer, _ = wsraw.read_http_answer(s, whole=True)
        assert answer.status == 400, answer
        wait_log(guarded, peer, "unsupported WebSocket subprotocol", "chat")
    finally:
        s.close()


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c"],
                         ids=["garbage", "plain_mqtt_connect"])
def test_garbage_instead_of_http_closes_that_connection(guarded, data):
    s, peer = raw_socket(guarded)
    try:
        s.sendall(data)
        answer, _ = wsraw.read_http_answer(s, whole=True)
        assert answer.status == 400, answer
        wait_log(guarded, peer, "not an HTTP request")
    finally:
        s.close()


def test_a_handshake_that_never_completes_is_closed_after_the_timeout(guarded):
    # Half a request, then silence: dropped after the connect timeout (10 s).
    s, peer = raw_socket(guarded, timeout=20)
    try:
        s.sendall(b"GET /mqtt HTTP/1.1\r\nHost: loc")
        started = time.monotonic()
        assert s.recv(1024) == b"", "the broker answered a request that never ended"
        took = time.monotonic() - started
        assert 8 < took < 15, took
        wait_log(guarded, peer, "did not complete the handshake")
    finally:
        s.close()


# ------------------------------------------------------------------ no configuration file

def _start_without_config(tmp_path, mqtt_port):
    log = tmp_path / "broker.log"
    out = open(log, "wb")
    try:
        # The embedded dashboard keeps its logins under XDG_DATA_HOME: the test's, not $HOME's.
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
        proc = subprocess.Popen([ROOST_BIN, "broker", "-p", str(mqtt_port)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=tmp_path, env=env)
    finally:
        out.close()
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    # "running" alone would match the local-only notice ("clients running on this machine").
    wait_until(lambda: " running\n" in text() or proc.poll() is not None, 10,
               message="the broker's start-up lines")
    assert proc.poll() is None, text()
    return proc, text


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


BUSY = "Cannot open the default websockets listener on 127.0.0.1:8083"


@pytest.fixture
def port_8083():
    """Serialises the tests that use the fixed port 8083 (pytest-xdist runs tests in
    parallel processes): a lock file held for the test's duration."""
    with open("/tmp/roost-e2e-8083.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield 8083
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.mark.skipif(IS_MOSQUITTO, reason="roost's embedded defaults")
def test_without_a_config_file_websocket_listens_on_8083(tmp_path, port_8083):
    proc, text = _start_without_config(tmp_path, free_port())
    try:
        if BUSY in text():
            pytest.skip("127.0.0.1:8083 is in use by another process here")
        assert "Opening websockets listen socket on port 8083." in text(), text()
        assert "ws://127.0.0.1:8083/mqtt" in text(), text()
        ws = WsClient(None, 8083, path="/mqtt")
        try:
            assert ws.ok().value == 0
            topic = unique_topic("embedded")
            ws.subscribe(topic, qos=1)
            ws.publish(topic, b"over 8083", qos=1)
            assert ws.wait_for(1)[0].payload == b"over 8083"
        finally:
            ws.close()
    finally:
        _stop(proc)


@pytest.mark.skipif(IS_MOSQUITTO, reason="roost's embedded defaults")
def test_without_a_config_file_a_busy_8083_is_one_warning(tmp_path, port_8083):
    # Hold 8083 (unless another process here already does): the broker warns once and
    # serves MQTT all the same.
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind((HOST, 8083))
        holder.listen()
    except OSError:
        # Another process here (a broker started without a configuration file by another
        # test) holds it and may let go at any moment, so the warning cannot be counted on.
        holder.close()
        pytest.skip("127.0.0.1:8083 is in use by another process here")
    mqtt_port = free_port()
    proc, text = _start_without_config(tmp_path, mqtt_port)
    try:
        warnings = [ln for ln in text().splitlines() if BUSY in ln]
        assert len(warnings) == 1, text()
        assert "in use" in warnings[0], warnings
        assert f"Opening ipv4 listen socket on port {mqtt_port}." in text(), text()
        topic = unique_topic("busy")
        sub = MosquittoSub(None, topic, qos=1, port=mqtt_port)
        try:
            sub.wait_subscribed()
            mosquitto_pub(None, topic, "still here", qos=1, port=mqtt_port)
            assert sub.wait_for(1) == [f"1 0 {topic} still here"]
        finally:
            sub.stop()
    finally:
        _stop(proc)
        holder.close()
