"""Secure WebSocket (wss): `protocol websockets` on a listener with `certfile`/`keyfile`, so
TCP → TLS → WebSocket → MQTT. paho-mqtt with transport="websockets" and tls_set, messages both
ways with mosquitto_sub/mosquitto_pub on the plain TCP listener, the hand-written WebSocket
client over Python's ssl, client certificates as user names, and plain WebSocket on the wss
port while background traffic must lose nothing. Certificates are made by openssl (certs.py).

`roost_only`: Debian's Mosquitto 2.0.11 has no WebSocket support.
"""

import ssl

import pytest

import rawmqtt as R
import wsraw
from certs import CertAuthority
from harness import (HOST, V5, VERSION_IDS, VERSIONS, MosquittoSub, Traffic, mosquitto_pub,
                     unique_id, unique_topic, wait_until)
from wsclient import WsClient

pytestmark = pytest.mark.roost_only

CLI_VERSION = {4: "mqttv311", 5: "mqttv5"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("wss-pki")

    class Pki:
        ca = CertAuthority(root / "ca", "Roost WSS Test CA")
        server = ca.server("server")
        alice = ca.client("alice", "/O=Roost Tests/CN=alice")
    return Pki


def wss_conf(pki, *more):
    """MQTT on {port}; MQTT over WebSocket inside TLS on {port2}."""
    return ["listener {port} 127.0.0.1", "allow_anonymous true",
            "listener {port2} 127.0.0.1", "protocol websockets",
            f"certfile {pki.server.cert}", f"keyfile {pki.server.key}", *more]


def wss_client(b, pki, cert=None, **kw):
    tls = {"ca_certs": str(pki.ca.cert)}
    if cert is not None:
        tls.update(certfile=str(cert.cert), keyfile=str(cert.key))
    return WsClient(b, b.ports[1], tls=tls, **kw)


def ssl_wrap(pki):
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    return lambda sock: ctx.wrap_socket(sock, server_hostname="127.0.0.1")


@pytest.fixture
def closing():
    made = []
    yield made.append
    for c in made:
        c.close()


def test_the_start_up_lines_name_wss(broker, pki):
    b = broker(conf=wss_conf(pki))
    log = b.log_text()
    assert f"Opening websockets listen socket on port {b.ports[1]} (TLS)." in log, log
    assert f"wss://127.0.0.1:{b.ports[1]}/mqtt" in log, log


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_paho_over_wss_and_a_tcp_client_exchange_qos_1_and_2(broker, pki, closing, version):
    b = broker(conf=wss_conf(pki))
    ws = wss_client(b, pki, version=version)
    closing(ws)
    assert ws.ok().value == 0
    topic = unique_topic("wss")
    ws.subscribe(f"{topic}/to-ws", qos=2)
    sub = MosquittoSub(b, f"{topic}/to-tcp", version=CLI_VERSION[version], qos=2)
    try:
        sub.wait_subscribed()
        for qos in (1, 2):
            mosquitto_pub(b, f"{topic}/to-ws", f"tcp-q{qos}", version=CLI_VERSION[version],
                          qos=qos)
            ws.publish(f"{topic}/to-tcp", f"wss-q{qos}".encode(), qos=qos)
        got = ws.wait_for(2)
        assert sorted((m.payload, m.qos) for m in got) == [(b"tcp-q1", 1), (b"tcp-q2", 2)]
        assert sorted(sub.wait_for(2)) == [f"{q} 0 {topic}/to-tcp wss-q{q}" for q in (1, 2)]
    finally:
        sub.stop()


def test_hand_cut_frames_over_tls(broker, pki, closing):
    # Two packets in one frame, then one packet in three frames, all inside TLS records.
    b = broker(conf=wss_conf(pki))
    r = wsraw.WsMqtt(b.ports[1], HOST, R.V5, wrap=ssl_wrap(pki))
    closing(r)
    topic = unique_topic("wss-raw")
    r.send(R.connect(unique_id("wss-raw"), version=R.V5)
           + R.subscribe(1, [(topic, 1)], version=R.V5))
    assert r.expect(R.CONNACK).rc == 0
    assert r.expect(R.SUBACK).codes == [1]
    r.send_split(R.publish(topic, b"three frames", qos=1, pid=9, version=R.V5), [2, 6])
    assert r.expect(R.PUBACK).pid == 9
    assert r.expect(R.PUBLISH).payload == b"three frames"


def test_a_client_certificate_names_the_user_over_wss(broker, pki, closing, tmp_path):
    acl = tmp_path / "acl"
    acl.write_text("user alice\ntopic readwrite alice/#\n")
    b = broker(conf=wss_conf(pki, f"cafile {pki.ca.cert}", "require_certificate true",
                             "use_identity_as_username true", f"acl_file {acl}"))
    ws = wss_client(b, pki, cert=pki.alice)
    closing(ws)
    assert ws.ok().value == 0
    # The ACL lets only user alice use alice/#: the message comes back only if the
    # certificate's CN became the user name (the client sent none in CONNECT).
    assert ws.subscribe("alice/inbox", qos=1) == [1]
    ws.publish("alice/inbox", b"for alice", qos=1)
    assert ws.wait_for(1)[0].payload == b"for alice"


def test_plain_websocket_on_the_wss_port_closes_only_that_connection(broker, client, pki):
    b = broker(conf=wss_conf(pki))
    t = Traffic(b, client)
    t.wait_sent(5)
    try:
        wsraw.WsMqtt(b.ports[1], HOST)
    except (AssertionError, R.Closed, R.Timeout, ConnectionError):
        pass
    else:
        raise AssertionError("a plain WebSocket upgrade succeeded on a wss port")
    wait_until(lambda: "TLS handshake" in b.log_text(), 10, message="the TLS failure line")
    t.wait_sent(t.sent + 5)
    ws = wss_client(b, pki, version=V5)
    try:
        assert ws.ok().value == 0
    finally:
        ws.close()
    t.check()
