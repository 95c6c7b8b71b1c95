"""Will messages: sent on abnormal disconnect, not on DISCONNECT, v5 Will Delay Interval
and DISCONNECT with reason 0x04."""

import time

import pytest

import rawmqtt as R
from harness import V5, VERSION_IDS, props, unique_id, unique_topic

VERSION_PAIRS = [(R.V311, 4), (R.V5, 5)]


def _watch(connected, b, topic, version=V5):
    w = connected(b, version=version)
    w.subscribe(topic, qos=1)
    return w


def _will_client(raw, b, version, topic, payload=b"offline", qos=1, retain=False,
                 will_props=None, conn_props=None, keepalive=60, cid=None):
    r = raw(b, version)
    will = {"topic": topic, "payload": payload, "qos": qos, "retain": retain,
            "props": will_props}
    ack = r.connect(cid or unique_id("will"), will=will, keepalive=keepalive,
                    props=conn_props)
    assert ack.rc == 0
    return r


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
@pytest.mark.parametrize("how", ["close", "reset"])
def test_will_sent_on_abnormal_disconnect(broker, raw, connected, version, pv, how):
    # MQTT-3.1.2-8: the Will Message is published when the network connection is closed
    # without a DISCONNECT.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic, pv)
    r = _will_client(raw, b, version, topic, b"client died", qos=1)
    r.abort() if how == "reset" else r.close()
    (m,) = w.wait_for(1, timeout=5)
    assert (m.topic, m.payload, m.qos, m.retain) == (topic, b"client died", 1, False)


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
def test_will_not_sent_on_disconnect(broker, raw, connected, version, pv):
    # MQTT-3.1.2-10 (v3.1.1) / MQTT-3.1.2-10 (v5, reason 0x00): DISCONNECT deletes the will.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic, pv)
    r = _will_client(raw, b, version, topic)
    r.disconnect()
    assert w.received(settle=1.0) == []


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
def test_will_sent_when_keepalive_expires(broker, raw, connected, version, pv):
    # MQTT-3.1.2-8 with the server closing the connection for a keep-alive timeout.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic, pv)
    _will_client(raw, b, version, topic, b"timed out", keepalive=1)
    assert w.wait_for(1, timeout=10)[0].payload == b"timed out"


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
@pytest.mark.parametrize("error", [
    "wildcard_publish",
    # Mosquitto 2.0.11 discards the will when the protocol error is a second CONNECT.
    pytest.param("second_connect", marks=pytest.mark.roost_only),
])
def test_will_sent_when_server_closes_for_protocol_error(broker, raw, connected, version,
                                                         pv, error):
    # MQTT 3.1.1 / 5 section 3.1.2.5: the will is published when the server closes the
    # connection because of a protocol error.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic, pv)
    r = _will_client(raw, b, version, topic, b"protocol error")
    if error == "second_connect":
        r.send(R.connect(unique_id(), version=version))
    else:
        r.send(R.publish("a/#", b"wildcard topic", version=version))
    r.wait_closed(5)
    assert w.wait_for(1, timeout=5)[0].payload == b"protocol error"


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
def test_will_retain_stores_retained_message(broker, raw, connected, version, pv):
    # MQTT-3.1.2-17: Will Retain 1 -> the will is published as a retained message.
    b = broker()
    topic = unique_topic("will")
    r = _will_client(raw, b, version, topic, b"retained will", retain=True)
    r.close()
    time.sleep(0.5)
    later = connected(b, version=pv)
    later.subscribe(topic, qos=1)
    (m,) = later.wait_for(1)
    assert (m.payload, m.retain) == (b"retained will", True)


@pytest.mark.parametrize("version,pv", VERSION_PAIRS, ids=VERSION_IDS)
def test_will_delivered_at_min_of_will_and_subscription_qos(broker, raw, connected, version,
                                                             pv):
    b = broker()
    topic = unique_topic("will")
    w = connected(b, version=pv)
    w.subscribe(topic, qos=2)
    _will_client(raw, b, version, topic, qos=2).close()
    assert w.wait_for(1)[0].qos == 2


def test_will_sent_on_takeover_v311(broker, raw, connected):
    # The old connection is closed by the server without a DISCONNECT from its client.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic, 4)
    cid = unique_id()
    old = _will_client(raw, b, R.V311, topic, b"taken over", cid=cid)
    raw(b).connect(cid)
    old.wait_closed(5)
    assert w.wait_for(1, timeout=5)[0].payload == b"taken over"


def test_paho_will_set_sent_on_abnormal_disconnect(broker, client, connected):
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    for version in (4, 5):
        c = client(b, version=version,
                   will={"topic": topic, "payload": f"paho v{version}", "qos": 1})
        c.ok()
        c.kill()
    got = w.wait_for(2)
    assert sorted(m.payload for m in got) == [b"paho v4", b"paho v5"]


# ---------------------------------------------------------------- MQTT 5 only


def test_v5_will_delay_interval_honoured(broker, raw, connected):
    # MQTT-3.1.3-9: the will is published after the Will Delay Interval, not before.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    r = _will_client(raw, b, R.V5, topic, b"delayed", will_props={"WillDelayInterval": 2},
                     conn_props={"SessionExpiryInterval": 60})
    r.close()
    closed_at = time.monotonic()
    assert w.received(settle=1.2) == []
    (m,) = w.wait_for(1, timeout=6)
    assert m.payload == b"delayed"
    assert m.time - closed_at >= 1.5


def test_v5_will_delay_cancelled_by_reconnect(broker, raw, connected):
    # MQTT-3.1.3-9: if a new connection to the session is made before the delay has
    # passed, the will is not sent.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    cid = unique_id()
    r = _will_client(raw, b, R.V5, topic, will_props={"WillDelayInterval": 2},
                     conn_props={"SessionExpiryInterval": 60}, cid=cid)
    r.close()
    time.sleep(0.5)
    again = raw(b, R.V5)
    assert again.connect(cid, clean=False, props={"SessionExpiryInterval": 60}).session_present
    assert w.received(settle=3.0) == []


def test_v5_will_sent_at_session_end_if_before_will_delay(broker, raw, connected):
    # MQTT 5 section 3.1.3.2.2: the will is sent when the Will Delay Interval passes or
    # the session ends, whichever is first (session expiry 1 s, will delay 30 s).
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    r = _will_client(raw, b, R.V5, topic, b"session ended",
                     will_props={"WillDelayInterval": 30},
                     conn_props={"SessionExpiryInterval": 1})
    r.close()
    assert w.wait_for(1, timeout=8)[0].payload == b"session ended"


def test_v5_disconnect_with_will_message_0x04_sends_will(broker, raw, connected):
    # MQTT 5 section 3.14.2.1: reason 0x04 Disconnect with Will Message -> publish it.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    r = _will_client(raw, b, R.V5, topic, b"asked for it")
    r.disconnect(rc=0x04)
    assert w.wait_for(1, timeout=5)[0].payload == b"asked for it"


def test_v5_paho_disconnect_with_will_0x04(broker, client, connected):
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    c = client(b, version=V5, will={"topic": topic, "payload": "paho 0x04", "qos": 1})
    c.ok()
    c.disconnect(reason_code=0x04)
    assert w.wait_for(1, timeout=5)[0].payload == b"paho 0x04"


def test_v5_will_properties_passed_through(broker, raw, connected):
    # MQTT 5 section 3.1.3.2: will properties go out with the Will Message.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    r = _will_client(raw, b, R.V5, topic, b"{}", will_props=[
        ("ContentType", "application/json"), ("ResponseTopic", "reply/to"),
        ("CorrelationData", b"\x01\x02"), ("UserProperty", ("k", "v")),
        ("PayloadFormatIndicator", 1)])
    r.close()
    (m,) = w.wait_for(1)
    assert m.prop("ContentType") == "application/json"
    assert m.prop("ResponseTopic") == "reply/to"
    assert m.prop("CorrelationData") == b"\x01\x02"
    assert m.prop("UserProperty") == [("k", "v")]
    assert m.prop("PayloadFormatIndicator") == 1


def test_v5_disconnect_normal_with_session_kept_no_will(broker, raw, connected):
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    r = _will_client(raw, b, R.V5, topic, will_props={"WillDelayInterval": 1},
                     conn_props={"SessionExpiryInterval": 60})
    r.disconnect(rc=0x00, props={"SessionExpiryInterval": 60})
    assert w.received(settle=2.0) == []


def test_paho_props_helper_builds_will_delay(broker, client, connected):
    # The same will delay through paho's own will properties.
    b = broker()
    topic = unique_topic("will")
    w = _watch(connected, b, topic)
    c = client(b, version=V5, will={"topic": topic, "payload": "paho delayed", "qos": 1,
                                    "properties": props("WILLMESSAGE", WillDelayInterval=1)})
    c.ok(properties=props("CONNECT", SessionExpiryInterval=30))
    c.kill()
    assert w.received(settle=0.5) == []
    assert w.wait_for(1, timeout=5)[0].payload == b"paho delayed"
