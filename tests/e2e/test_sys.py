"""`$SYS/broker/...` topics, named as Mosquitto publishes them, with `sys_interval 1`."""

import re
import time

import pytest

from harness import V5, V311, unique_topic

COUNTERS = [
    "$SYS/broker/clients/connected",
    "$SYS/broker/clients/total",
    "$SYS/broker/messages/received",
    "$SYS/broker/messages/sent",
    "$SYS/broker/bytes/received",
    "$SYS/broker/bytes/sent",
    "$SYS/broker/subscriptions/count",
    "$SYS/broker/retained messages/count",
]
LOADS = [f"$SYS/broker/load/{what}/{window}"
         for what in ("messages/received", "messages/sent", "bytes/received", "bytes/sent")
         for window in ("1min", "5min", "15min")]
REQUIRED = ["$SYS/broker/version", "$SYS/broker/uptime"] + COUNTERS + LOADS


class SysWatcher:
    """Latest value of every $SYS topic a subscriber has seen."""

    def __init__(self, client):
        self.c = client

    def latest(self):
        values = {}
        for m in self.c.received():
            values[m.topic] = m.payload.decode()
        return values

    def value(self, topic):
        return self.latest().get(topic)

    def wait_value(self, topic, pred, timeout=6.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self.value(topic)
            if v is not None and pred(v):
                return v
            time.sleep(0.1)
        raise AssertionError(f"{topic} never satisfied the condition; last {self.value(topic)!r}")


def _sys(connected, b, version=V311):
    c = connected(b, version=version)
    c.subscribe("$SYS/#", qos=0)
    return SysWatcher(c)


@pytest.mark.parametrize("version", [V311, V5], ids=["v311", "v5"])
def test_sys_topics_published_and_retained(broker, connected, version):
    b = broker(sys_interval=1)
    time.sleep(1.5)  # at least one interval has run
    c = connected(b, version=version)
    c.subscribe("$SYS/#", qos=0)
    time.sleep(0.5)
    first = {}
    for m in c.received():
        first.setdefault(m.topic, m)
    missing = [t for t in REQUIRED if t not in first]
    assert not missing, f"missing $SYS topics: {missing}; have {sorted(first)}"
    # Sent to a new subscription as retained messages (MQTT-3.3.1-8 / -9).
    assert all(first[t].retain for t in REQUIRED), [t for t in REQUIRED if not first[t].retain]


def test_sys_value_formats(broker, connected):
    b = broker(sys_interval=1)
    w = _sys(connected, b)
    time.sleep(2.2)
    v = w.latest()
    assert re.fullmatch(r"\S+ version \d+\.\d+\S*", v["$SYS/broker/version"]), v
    assert re.fullmatch(r"\d+ seconds", v["$SYS/broker/uptime"]), v
    for t in COUNTERS:
        assert re.fullmatch(r"\d+", v[t]), (t, v[t])
    for t in LOADS:
        assert re.fullmatch(r"\d+\.\d+", v[t]), (t, v[t])


def test_sys_updated_every_interval(broker, connected):
    b = broker(sys_interval=1)
    w = _sys(connected, b)
    first = int(w.wait_value("$SYS/broker/uptime", lambda v: True).split()[0])
    w.wait_value("$SYS/broker/uptime", lambda v: int(v.split()[0]) >= first + 2, timeout=5)


def test_sys_clients_connected_follows_connections(broker, connected, client):
    b = broker(sys_interval=1)
    w = _sys(connected, b)
    base = int(w.wait_value("$SYS/broker/clients/connected", lambda v: int(v) >= 1))
    extra = [client(b) for _ in range(3)]
    for c in extra:
        c.ok()
    w.wait_value("$SYS/broker/clients/connected", lambda v: int(v) == base + 3)
    assert int(w.value("$SYS/broker/clients/total")) >= base + 3
    for c in extra:
        c.disconnect()
    w.wait_value("$SYS/broker/clients/connected", lambda v: int(v) == base)


def test_sys_message_and_byte_counters_grow(broker, connected):
    b = broker(sys_interval=1)
    w = _sys(connected, b)
    before = {t: int(w.wait_value(t, lambda v: True)) for t in
              ("$SYS/broker/messages/received", "$SYS/broker/bytes/received",
               "$SYS/broker/messages/sent", "$SYS/broker/bytes/sent")}
    topic = unique_topic("sys")
    sub = connected(b)
    sub.subscribe(topic, qos=1)
    pub = connected(b)
    for _ in range(10):
        pub.publish(topic, b"x" * 1000, qos=1)
    sub.wait_for(10)
    w.wait_value("$SYS/broker/messages/received",
                 lambda v: int(v) >= before["$SYS/broker/messages/received"] + 10)
    w.wait_value("$SYS/broker/bytes/received",
                 lambda v: int(v) >= before["$SYS/broker/bytes/received"] + 10_000)
    w.wait_value("$SYS/broker/messages/sent",
                 lambda v: int(v) >= before["$SYS/broker/messages/sent"] + 10)
    w.wait_value("$SYS/broker/bytes/sent",
                 lambda v: int(v) >= before["$SYS/broker/bytes/sent"] + 10_000)
    w.wait_value("$SYS/broker/load/messages/received/1min", lambda v: float(v) > 0)


def test_sys_subscription_and_retained_counts(broker, connected):
    b = broker(sys_interval=1)
    w = _sys(connected, b)
    subs = int(w.wait_value("$SYS/broker/subscriptions/count", lambda v: int(v) >= 1))
    retained = int(w.wait_value("$SYS/broker/retained messages/count", lambda v: True))
    c = connected(b)
    base = unique_topic("sys")
    for i in range(3):
        c.subscribe(f"{base}/s{i}", qos=0)
    for i in range(2):
        c.publish(f"{base}/r{i}", b"kept", qos=1, retain=True)
    w.wait_value("$SYS/broker/subscriptions/count", lambda v: int(v) == subs + 3)
    w.wait_value("$SYS/broker/retained messages/count", lambda v: int(v) == retained + 2)
    c.publish(f"{base}/r0", b"", qos=1, retain=True)
    w.wait_value("$SYS/broker/retained messages/count", lambda v: int(v) == retained + 1)
