"""MQTT 5 topic aliases, client to broker (`max_topic_alias`) and broker to client (the
client's Topic Alias Maximum)."""

import pytest

import rawmqtt as R
from harness import unique_id, unique_topic


def _sub(connected, b, topic):
    s = connected(b)
    s.subscribe(topic, qos=1)
    return s


def test_connack_topic_alias_maximum_is_max_topic_alias(broker, raw):
    # MQTT 5 section 3.2.2.3.8: the server's Topic Alias Maximum.
    b = broker(max_topic_alias=5)
    r = raw(b, R.V5)
    assert r.connect(unique_id()).props.get("TopicAliasMaximum") == 5


def test_client_publish_with_topic_alias(broker, raw, connected):
    # MQTT 5 section 3.3.2.3.4: a PUBLISH with topic + alias sets the alias; later PUBLISH
    # packets with an empty topic and that alias use the topic. Subscribers see the topic.
    b = broker(max_topic_alias=5)
    topic = unique_topic("alias")
    s = _sub(connected, b, topic)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.publish(topic, b"first", qos=1, props={"TopicAlias": 1})
    r.publish("", b"second", qos=1, props={"TopicAlias": 1})
    r.publish("", b"third", qos=0, props={"TopicAlias": 1})
    got = s.wait_for(3)
    assert [(m.topic, m.payload) for m in got] == [(topic, b"first"), (topic, b"second"),
                                                    (topic, b"third")]
    assert all(m.prop("TopicAlias") is None for m in got)


def test_client_topic_alias_can_be_remapped(broker, raw, connected):
    b = broker(max_topic_alias=5)
    base = unique_topic("alias")
    s = _sub(connected, b, f"{base}/#")
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.publish(f"{base}/a", b"1", qos=1, props={"TopicAlias": 2})
    r.publish(f"{base}/b", b"2", qos=1, props={"TopicAlias": 2})
    r.publish("", b"3", qos=1, props={"TopicAlias": 2})
    got = s.wait_for(3)
    assert [m.topic for m in got] == [f"{base}/a", f"{base}/b", f"{base}/b"]


def test_topic_aliases_are_per_connection(broker, raw, connected):
    # MQTT-3.3.2-10/-11: aliases are scoped to one network connection.
    b = broker(max_topic_alias=5)
    base = unique_topic("alias")
    s = _sub(connected, b, f"{base}/#")
    one = raw(b, R.V5)
    one.connect(unique_id())
    two = raw(b, R.V5)
    two.connect(unique_id())
    one.publish(f"{base}/one", b"1", qos=1, props={"TopicAlias": 1})
    two.publish(f"{base}/two", b"2", qos=1, props={"TopicAlias": 1})
    one.publish("", b"3", qos=1, props={"TopicAlias": 1})
    got = s.wait_for(3)
    assert [m.topic for m in got] == [f"{base}/one", f"{base}/two", f"{base}/one"]


def test_client_topic_alias_above_maximum_disconnected_0x94(broker, raw):
    # MQTT-3.3.2-9 and table 2-6: an alias above the server's Topic Alias Maximum ->
    # DISCONNECT 0x94 Topic Alias invalid.
    b = broker(max_topic_alias=5)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("alias/x", b"x", qos=1, pid=1, props={"TopicAlias": 6}, version=R.V5))
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x94)], got
    assert b.accepts_clients()


def test_client_topic_alias_zero_disconnected(broker, raw):
    # MQTT-3.3.2-8: Topic Alias 0 is not permitted. The spec names no code for it:
    # 0x94 Topic Alias invalid, 0x82 Protocol Error or (Mosquitto) 0x81 Malformed.
    b = broker(max_topic_alias=5)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("alias/x", b"x", qos=1, pid=1, props={"TopicAlias": 0}, version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x94, 0x82, 0x81) for p in got), got
    assert b.accepts_clients()


def test_client_topic_alias_with_max_topic_alias_zero_disconnected(broker, raw):
    # Section 3.2.2.3.8: Topic Alias Maximum 0 -> the client may send no alias.
    b = broker(max_topic_alias=0)
    r = raw(b, R.V5)
    ack = r.connect(unique_id())
    assert ack.props.get("TopicAliasMaximum", 0) == 0
    r.send(R.publish("alias/x", b"x", qos=1, pid=1, props={"TopicAlias": 1}, version=R.V5))
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x94)], got


def test_client_unknown_topic_alias_with_empty_topic_is_protocol_error(broker, raw):
    # Section 3.3.2.3.4: an empty topic with an alias that has no mapping -> DISCONNECT
    # 0x82 Protocol Error.
    b = broker(max_topic_alias=5)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("", b"x", qos=1, pid=1, props={"TopicAlias": 3}, version=R.V5))
    got = r.wait_closed(5)
    assert [(p.type, p.rc) for p in got] == [(R.DISCONNECT, 0x82)], got


def test_empty_topic_without_alias_is_protocol_error(broker, raw):
    # MQTT-4.7.3-1: a topic name is at least one character (no alias to stand in).
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("", b"x", qos=1, pid=1, version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x82, 0x81) for p in got), got


# ---------------------------------------------------------------- broker to client


def _raw_subscriber(raw, b, topics, tam=None):
    r = raw(b, R.V5)
    r.connect(unique_id(), props={"TopicAliasMaximum": tam} if tam is not None else None)
    r.subscribe([(t, 1) for t in topics])
    return r


def _send_round_robin(connected, b, topics, rounds):
    pub = connected(b)
    sent = []
    for i in range(rounds):
        for t in topics:
            pub.publish(t, f"{i}".encode(), qos=1)
            sent.append((t, f"{i}".encode()))
    return sent


def _receive(r, n):
    got = []
    for _ in range(n):
        p = r.expect(R.PUBLISH)
        r.send(R.puback(p.pid, version=R.V5))
        got.append(p)
    return got


def test_no_topic_alias_sent_to_client_without_topic_alias_maximum(broker, raw, connected):
    # MQTT-3.1.2-27: Topic Alias Maximum absent (0) -> the server sends no Topic Alias.
    b = broker()
    base = unique_topic("alias")
    r = _raw_subscriber(raw, b, [f"{base}/#"])
    topics = [f"{base}/a", f"{base}/b"]
    _send_round_robin(connected, b, topics, 5)
    got = _receive(r, 10)
    assert all(p.alias is None for p in got)


def test_topic_aliases_to_client_resolve_and_respect_maximum(broker, raw, connected):
    # MQTT-3.1.2-26: the server never sends an alias above the client's Topic Alias
    # Maximum (2); every message resolves to the topic it was published to.
    b = broker()
    base = unique_topic("alias")
    r = _raw_subscriber(raw, b, [f"{base}/#"], tam=2)
    topics = [f"{base}/a", f"{base}/b", f"{base}/c"]
    sent = _send_round_robin(connected, b, topics, 6)
    got = _receive(r, len(sent))
    assert [(p.topic, p.payload) for p in got] == sent
    assert all(p.alias is None or 1 <= p.alias <= 2 for p in got)


# Mosquitto 2.0.11 never sends topic aliases to clients (allowed: it is a MAY); Roost
# uses them for repeated topics when the client allows it.
@pytest.mark.roost_only
def test_broker_uses_topic_alias_for_repeated_topic(broker, raw, connected):
    b = broker()
    topic = unique_topic("alias") + "/a-rather-long-topic-name-worth-aliasing"
    r = _raw_subscriber(raw, b, [topic], tam=4)
    sent = _send_round_robin(connected, b, [topic], 5)
    got = _receive(r, 5)
    assert [(p.topic, p.payload) for p in got] == sent
    assert got[0].alias is not None and 1 <= got[0].alias <= 4
    # Later messages use the alias alone: an empty topic name on the wire.
    raw_topics = [R.decode(R.PUBLISH, 0x02, p.body, R.V5).topic for p in got[1:]]
    assert raw_topics == [""] * 4
