"""Process lifecycle: log lines a Mosquitto user greps for, and shutdown on SIGTERM/SIGINT."""

import re
import signal
import subprocess
import time

import pytest

import rawmqtt as R
from harness import HOST, unique_id, wait_until


def _wait_log(b, pattern, timeout=5.0):
    rx = re.compile(pattern)
    return wait_until(lambda: rx.search(b.log_text()), timeout,
                      message=f"log line /{pattern}/ in:\n{b.log_text()[-3000:]}")


# Mosquitto 2.0 prints these same lines (after a "<epoch>: " prefix), so they are checked
# against it as well; they are what Roost must print for drop-in log compatibility.
@pytest.mark.parametrize("version,clean,keepalive,flags", [
    (R.V311, True, 60, "p2, c1, k60"),
    (R.V5, False, 30, "p5, c0, k30"),
], ids=["v311", "v5"])
def test_log_lines_for_connect_and_disconnect(broker, raw, version, clean, keepalive, flags):
    b = broker()
    r = raw(b, version)
    local_port = r.sock.getsockname()[1]
    cid = unique_id("logged")
    assert r.connect(cid, clean=clean, keepalive=keepalive).rc == 0
    _wait_log(b, re.escape(f"New connection from 127.0.0.1:{local_port} on port {b.port}."))
    _wait_log(b, re.escape(
        f"New client connected from 127.0.0.1:{local_port} as {cid} ({flags})."))
    r.disconnect()
    _wait_log(b, re.escape(f"Client {cid} disconnected."))


def test_log_line_order(broker, raw):
    b = broker()
    r = raw(b)
    port = r.sock.getsockname()[1]
    cid = unique_id("order")
    r.connect(cid)
    r.disconnect()
    _wait_log(b, re.escape(f"Client {cid} disconnected."))
    text = b.log_text()
    a = text.index(f"New connection from 127.0.0.1:{port} on port {b.port}.")
    c = text.index(f"New client connected from 127.0.0.1:{port} as {cid} (p2, c1, k60).")
    d = text.index(f"Client {cid} disconnected.")
    assert a < c < d


# ---------------------------------------------------------------- shutdown


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_closes_connections_and_exits_0(broker, raw, sig):
    b = broker()
    v5 = raw(b, R.V5)
    v5.connect(unique_id())
    v3 = raw(b)
    v3.connect(unique_id())
    start = time.monotonic()
    code = b.stop(sig)
    assert code == 0
    assert time.monotonic() - start < 10
    got = v5.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc == 0x8B for p in got), got
    v3.wait_closed(5)


# Mosquitto 2.0.11 closes client connections at shutdown without a DISCONNECT.
@pytest.mark.roost_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_sends_v5_disconnect_0x8b(broker, raw, client, sig):
    # MQTT 5 section 4.13 / reason code 0x8B Server shutting down.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    paho = client(b)
    paho.ok()
    b.send_signal(sig)
    got = r.wait_closed(10)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x8B)], got
    rc, _ = paho.wait_disconnected(10)
    assert rc.value == 0x8B
    assert b.proc.wait(10) == 0


def test_broker_with_no_clients_exits_0_on_sigterm(broker):
    b = broker()
    assert b.stop(signal.SIGTERM) == 0


def test_port_is_free_after_shutdown(broker):
    # The listener is released: the same port can be bound by a new broker at once.
    b = broker()
    b.restart()
    r = R.RawClient(b.port, b.host)
    try:
        assert r.connect(unique_id()).rc == 0
    finally:
        r.close()


@pytest.mark.roost_only
def test_sigterm_while_the_store_is_restored_is_a_clean_exit(broker, client):
    # The port takes connections before the broker has restored its store: a SIGTERM then
    # must be a clean stop (exit 0, store closed, nothing lost), not the signal's default
    # action. 20,000 retained messages make the restore long enough to land in it.
    b = broker()
    c = client(b)
    c.ok()
    for i in range(20_000):
        c.publish(f"restore/{i}", b"kept", retain=True, wait=False)
    c.publish("restore/last", b"kept", qos=1, retain=True)
    c.close()
    b.stop()
    b.start(port=b.port)
    b.stop()  # asserts exit code 0
    b.start(port=b.port)
    r = subprocess.run(
        ["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t", "restore/#", "-C", "20001",
         "-W", "20", "--retained-only"], capture_output=True, text=True, timeout=60)
    assert len(r.stdout.splitlines()) == 20_001, r.stderr
