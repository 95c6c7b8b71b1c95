"""Idle plain TCP connections park: after a tenth of a second with nothing to do (a quarter of a
second from its first return on), a connection gives up its task and waits in the broker's
parking lot (Roost's own; `$SYS/broker/clients/parked` counts them). These tests park real
clients, then check that everything a connected client expects still happens: messages reach
it, what it sends is answered, keep-alive, kick, takeover and shutdown."""

import signal
import subprocess
import time

import pytest

import rawmqtt as R
from api_harness import Api, Authed, dashboard_conf
from harness import HOST, mosquitto_pub, unique_id, unique_topic

pytestmark = pytest.mark.roost_only


def parked(b):
    """The broker's `$SYS/broker/clients/parked` (retained, so a new subscriber reads it now)."""
    r = subprocess.run(
        ["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t", "$SYS/broker/clients/parked",
         "-C", "1", "-W", "3"],
        capture_output=True, text=True, timeout=10)
    return int(r.stdout.strip() or -1)


def wait_parked(b, at_least, timeout=8.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if parked(b) >= at_least:
            return
        time.sleep(0.3)
    raise AssertionError(f"fewer than {at_least} connections parked after {timeout} s")


def idle_subscriber(raw, b, topic, version=R.V5, keepalive=0, qos=1):
    r = raw(b, version)
    assert r.connect(unique_id("park"), keepalive=keepalive).rc == 0
    r.subscribe([(topic, qos)])
    return r


def test_a_parked_subscriber_gets_messages_and_is_answered(broker, raw):
    b = broker(sys_interval=1)
    topic = unique_topic()
    r = idle_subscriber(raw, b, topic)
    wait_parked(b, 1)
    # A delivery wakes it: the message arrives, and its PUBACK is taken.
    mosquitto_pub(b, topic, "to a parked client", qos=1)
    p = r.expect(R.PUBLISH, timeout=5)
    assert p.payload == b"to a parked client" and p.qos == 1
    r.send(R.puback(p.pid, version=R.V5))
    # It parks again, and what it sends then wakes it too: a QoS 1 publish is acknowledged.
    wait_parked(b, 1)
    ack = r.publish(unique_topic(), b"from a parked client", qos=1)
    assert ack.rc in (0x00, 0x10)
    r.send(R.pingreq())
    assert r.expect(R.PINGRESP)


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=["v311", "v5"])
def test_a_parked_client_is_still_held_to_its_keep_alive(broker, raw, version):
    b = broker(sys_interval=1)
    r = raw(b, version)
    assert r.connect(unique_id("park-ka"), keepalive=3).rc == 0
    start = time.monotonic()
    wait_parked(b, 1)
    got = r.wait_closed(12)
    elapsed = time.monotonic() - start
    assert 4.4 <= elapsed <= 6.5, elapsed
    if version == R.V5:
        assert any(p.type == R.DISCONNECT and p.rc == 0x8D for p in got), got


def test_a_parked_client_is_taken_over_and_told_so(broker, raw):
    b = broker(sys_interval=1)
    client_id = unique_id("park-take")
    first = raw(b, R.V5)
    assert first.connect(client_id, keepalive=0).rc == 0
    wait_parked(b, 1)
    second = raw(b, R.V5)
    assert second.connect(client_id, keepalive=0).rc == 0
    got = first.wait_closed(5)
    assert any(p.type == R.DISCONNECT and p.rc == 0x8E for p in got), got


def test_parked_clients_hear_the_shutdown(broker, raw):
    b = broker(sys_interval=1)
    clients = [idle_subscriber(raw, b, unique_topic()) for _ in range(5)]
    wait_parked(b, 5)
    b.send_signal(signal.SIGTERM)
    for r in clients:
        got = r.wait_closed(8)
        assert any(p.type == R.DISCONNECT and p.rc == 0x8B for p in got), got
    assert b.proc.wait(10) == 0


def test_a_parked_client_is_kicked_from_the_api(broker, tmp_path, raw):
    api = Api(broker(conf=dashboard_conf(tmp_path, ["sys_interval 1"])))
    authed = Authed(api, api.first_login())
    b = api.broker
    client_id = unique_id("park-kick")
    r = raw(b, R.V5)
    assert r.connect(client_id, keepalive=0).rc == 0
    wait_parked(b, 1)
    assert authed.json("/api/v5/stats")[0]["parked_connections.count"] >= 1
    authed.send("DELETE", f"/api/v5/clients/{client_id}", 204)
    got = r.wait_closed(5)
    assert any(p.type == R.DISCONNECT and p.rc == 0x98 for p in got), got


def test_a_parked_client_that_closes_its_socket_is_gone_and_its_will_sent(broker, raw):
    b = broker(sys_interval=1)
    topic = unique_topic("will")
    watcher = idle_subscriber(raw, b, topic, keepalive=60)
    leaver = raw(b, R.V311)
    will = {"topic": topic, "payload": b"gone", "qos": 1}
    assert leaver.connect(unique_id("park-will"), keepalive=0, will=will).rc == 0
    wait_parked(b, 2)
    leaver.close()
    p = watcher.expect(R.PUBLISH, timeout=5)
    assert p.payload == b"gone"
