"""Subscriptions: wildcards, `$` topics, overlapping subscriptions, UNSUBSCRIBE, SUBACK."""

import pytest

import rawmqtt as R
from harness import V5, V311, VERSION_IDS, VERSIONS, unique_id, unique_topic


def _publish_all(pub, topics, qos=1):
    for t in topics:
        pub.publish(t, t.encode(), qos=qos)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_single_level_wildcard_plus(broker, connected, version):
    # MQTT-4.7.1-3: `+` matches exactly one level (an empty level too).
    b = broker()
    base = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/+/temp", qos=1)
    pub = connected(b, version=version)
    matching = [f"{base}/kitchen/temp", f"{base}//temp"]
    _publish_all(pub, [f"{base}/kitchen/temp", f"{base}/a/b/temp", f"{base}/temp",
                       f"{base}//temp", f"{base}/kitchen/temp/x"])
    sub.wait_for(2)
    assert sorted(m.topic for m in sub.received(settle=0.4)) == sorted(matching)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_multi_level_wildcard_hash(broker, connected, version):
    # MQTT-4.7.1-2: `#` matches the parent level and any number of child levels.
    b = broker()
    base = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/sport/#", qos=1)
    pub = connected(b, version=version)
    matching = [f"{base}/sport", f"{base}/sport/tennis", f"{base}/sport/tennis/player1/x"]
    _publish_all(pub, matching + [f"{base}/sports", f"{base}/other/sport"])
    sub.wait_for(3)
    assert sorted(m.topic for m in sub.received(settle=0.4)) == sorted(matching)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_wildcards_combined_and_exact_levels(broker, connected, version):
    b = broker()
    base = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/+/b/#", qos=0)
    pub = connected(b, version=version)
    matching = [f"{base}/x/b", f"{base}/y/b/c/d"]
    _publish_all(pub, matching + [f"{base}/x/c", f"{base}/b"], qos=0)
    sub.wait_for(2)
    assert sorted(m.topic for m in sub.received(settle=0.4)) == sorted(matching)


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_topics_are_case_sensitive_and_space_is_a_character(broker, connected, version):
    # MQTT-4.7.3: topic names are case sensitive; spaces are allowed.
    b = broker()
    base = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/Room 1", qos=1)
    pub = connected(b, version=version)
    _publish_all(pub, [f"{base}/room 1", f"{base}/Room 1", f"{base}/Room1"])
    sub.wait_for(1)
    assert [m.topic for m in sub.received(settle=0.4)] == [f"{base}/Room 1"]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_dollar_topics_not_matched_by_leading_wildcards(broker, connected, version):
    # MQTT-4.7.2-1: filters starting with a wildcard do not match topics starting with `$`.
    b = broker()
    name = unique_id("x")
    wild = connected(b, version=version)
    wild.subscribe("#", qos=1)
    wild.subscribe(f"+/{name}", qos=1)
    explicit = connected(b, version=version)
    explicit.subscribe(f"$foo/{name}", qos=1)
    pub = connected(b, version=version)
    pub.publish(f"$foo/{name}", b"dollar", qos=1)
    pub.publish(f"plain/{name}", b"plain", qos=1)
    assert explicit.wait_for(1)[0].payload == b"dollar"
    wild.wait_for(1)  # `#` and `+/name` both match plain/name (one or two copies)
    got = wild.received(settle=0.5)
    assert all(m.topic == f"plain/{name}" for m in got), got


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_sys_topics_not_matched_by_hash_but_by_sys_filter(broker, connected, version):
    # MQTT-4.7.2-1 with the broker's own $SYS messages.
    b = broker(sys_interval=1)
    wild = connected(b, version=version)
    wild.subscribe("#", qos=0)
    wild.subscribe("+/broker/#", qos=0)
    sys = connected(b, version=version)
    sys.subscribe("$SYS/#", qos=0)
    assert all(m.topic.startswith("$SYS/") for m in sys.wait_for(3, timeout=5))
    assert not [m for m in wild.received(settle=1.5) if m.topic.startswith("$")]


def test_v5_overlapping_subscriptions_delivered_at_highest_qos(broker, connected):
    # MQTT-3.3.4-2: with overlapping subscriptions the message is delivered respecting the
    # maximum QoS of the matching subscriptions (one copy per subscription is allowed).
    b = broker()
    base = unique_topic()
    sub = connected(b, version=V5)
    sub.subscribe(f"{base}/a", qos=0)
    sub.subscribe(f"{base}/+", qos=2)
    sub.subscribe(f"{base}/#", qos=1)
    connected(b, version=V5).publish(f"{base}/a", b"overlap", qos=2)
    sub.wait_for(1)
    got = sub.received(settle=0.5)
    assert 1 <= len(got) <= 3
    assert max(m.qos for m in got) == 2


# Mosquitto 2.0.11 sends v3.1.1 clients one copy at the QoS of whichever subscription it
# matches first in its tree (QoS 0 here), violating MQTT-3.3.5-1.
@pytest.mark.roost_only
@pytest.mark.parametrize("order", [[0, 2, 1], [2, 1, 0], [1, 0, 2]])
def test_v311_overlapping_subscriptions_one_copy_at_highest_qos(broker, connected, order):
    # MQTT-3.3.5-1: the message is delivered respecting the maximum QoS of all matching
    # subscriptions; Roost sends exactly one copy.
    b = broker()
    base = unique_topic()
    sub = connected(b, version=V311)
    for flt, qos in zip([f"{base}/a", f"{base}/+", f"{base}/#"], order):
        sub.subscribe(flt, qos=qos)
    connected(b, version=V311).publish(f"{base}/a", b"overlap", qos=2)
    sub.wait_for(1)
    got = sub.received(settle=0.5)
    assert [(m.payload, m.qos) for m in got] == [(b"overlap", 2)]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_resubscribe_replaces_subscription_qos(broker, connected, version):
    # MQTT-3.8.4-3: an identical filter replaces the existing subscription (new QoS), and
    # does not create a second one.
    b = broker()
    topic = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=2)
    sub.subscribe(topic, qos=0)
    connected(b, version=version).publish(topic, b"x", qos=2)
    sub.wait_for(1)
    got = sub.received(settle=0.5)
    assert [(m.payload, m.qos) for m in got] == [(b"x", 0)]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_unsubscribe_stops_delivery(broker, connected, version):
    # MQTT-3.10.4-2: after UNSUBSCRIBE the server stops adding new messages for it.
    b = broker()
    topic = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(topic, qos=1)
    pub = connected(b, version=version)
    pub.publish(topic, b"before", qos=1)
    sub.wait_for(1)
    sub.unsubscribe(topic)
    pub.publish(topic, b"after", qos=1)
    assert [m.payload for m in sub.received(settle=0.5)] == [b"before"]


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_unsubscribe_one_filter_keeps_others(broker, connected, version):
    b = broker()
    base = unique_topic()
    sub = connected(b, version=version)
    sub.subscribe(f"{base}/a", qos=1)
    sub.subscribe(f"{base}/b", qos=1)
    sub.unsubscribe(f"{base}/a")
    pub = connected(b, version=version)
    pub.publish(f"{base}/a", b"a", qos=1)
    pub.publish(f"{base}/b", b"b", qos=1)
    sub.wait_for(1)
    assert [m.payload for m in sub.received(settle=0.4)] == [b"b"]


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_unsuback_has_packet_id_and_v5_reason_codes(broker, raw, version):
    # MQTT-3.10.4-4: UNSUBACK with the UNSUBSCRIBE's packet id; v5 (MQTT-3.11.3-1): one
    # reason code per filter, 0x00 Success or 0x11 No subscription existed.
    b = broker()
    r = raw(b, version)
    r.connect(unique_id())
    r.subscribe([("u/a", 1)])
    r.send(R.unsubscribe(321, ["u/a", "u/never"], version=version))
    ack = r.expect(R.UNSUBACK)
    assert ack.pid == 321
    if version == R.V5:
        assert ack.codes[0] == 0x00 and ack.codes[1] in (0x00, 0x11), ack.codes
    else:
        assert ack.codes == []


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_suback_granted_qos_equals_requested(broker, raw, version):
    # MQTT-3.8.4-1/-2: SUBACK with the same packet id; MQTT-3.8.4-5 (v3.1.1) /
    # MQTT-3.9.3-1 (v5): one code per filter, in order. No maximum QoS configured, so
    # the granted QoS is the one requested.
    b = broker()
    r = raw(b, version)
    r.connect(unique_id())
    r.send(R.subscribe(4711, [("s/0", 0), ("s/1", 1), ("s/2", 2), ("s/+/#", 1)],
                       version=version))
    ack = r.expect(R.SUBACK)
    assert ack.pid == 4711
    assert ack.codes == [0, 1, 2, 1]


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
@pytest.mark.parametrize("bad_filter", ["a/#/b", "a/b#", "a+/b", "#/", ""])
def test_suback_failure_or_close_for_invalid_filter(broker, raw, version, bad_filter):
    # MQTT-4.7.1-2/-3, MQTT-4.7.3-1: these filters are invalid. v3.1.1 allows SUBACK
    # 0x80 (Failure) or, as a protocol violation (MQTT-4.8.0-1), closing the connection;
    # v5 allows SUBACK 0x8F (Topic Filter invalid) or DISCONNECT 0x8F/0x82 and close.
    b = broker()
    r = raw(b, version)
    r.connect(unique_id())
    r.send(R.subscribe(5, [(bad_filter, 1)], version=version))
    try:
        p = r.read(5)
    except R.Closed:
        p = None
    if p is not None and p.type == R.SUBACK:
        assert p.pid == 5
        assert p.codes == ([0x8F] if version == R.V5 else [0x80]) or (
            version == R.V5 and p.codes == [0x80]), p.codes
        assert r.is_open()
    elif p is not None:
        assert version == R.V5 and p.type == R.DISCONNECT and p.rc in (0x8F, 0x82, 0x81), p
        r.wait_closed(5)
    assert b.accepts_clients()


def test_v311_subscribe_with_qos_3_closes_connection(broker, raw):
    # MQTT-3-8.3-4: a requested QoS of 3 is malformed; the server closes the connection.
    b = broker()
    r = raw(b)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("q/3", 3)]))
    r.wait_closed(5)
    assert b.accepts_clients()


def test_v5_subscribe_options_reserved_bits_close_connection(broker, raw):
    # MQTT-3.8.3-5: reserved bits 6-7 of the subscription options must be 0.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("q/r", 0xC1)], version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x81, 0x82) for p in got), got


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_subscriptions_are_per_client(broker, connected, version):
    b = broker()
    topic = unique_topic()
    a = connected(b, version=version)
    other = connected(b, version=version)
    a.subscribe(topic, qos=1)
    connected(b, version=version).publish(topic, b"only a", qos=1)
    assert a.wait_for(1)[0].payload == b"only a"
    assert other.received(settle=0.3) == []


def test_v5_and_v311_subscribers_get_same_message(broker, connected):
    b = broker()
    topic = unique_topic()
    old = connected(b, version=V311)
    new = connected(b, version=V5)
    old.subscribe(topic, qos=2)
    new.subscribe(topic, qos=2)
    connected(b, version=V5).publish(topic, b"mixed", qos=2)
    assert old.wait_for(1)[0].payload == new.wait_for(1)[0].payload == b"mixed"
