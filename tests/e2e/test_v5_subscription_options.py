"""MQTT 5 subscription options and features: shared subscriptions, No Local, Retain As
Published, Retain Handling, Subscription Identifiers."""

import collections

import pytest

import rawmqtt as R
from harness import V5, V311, VERSION_IDS, VERSIONS, unique_id, unique_topic

# ---------------------------------------------------------------- shared subscriptions


def test_connack_advertises_shared_and_subscription_identifiers(broker, raw):
    # Sections 3.2.2.3.13/3.2.2.3.12: absent means available; 0 would mean not supported.
    b = broker()
    r = raw(b, R.V5)
    ack = r.connect(unique_id())
    assert ack.props.get("SharedSubscriptionAvailable", 1) == 1
    assert ack.props.get("SubscriptionIdentifierAvailable", 1) == 1
    assert ack.props.get("WildcardSubscriptionAvailable", 1) == 1


@pytest.mark.parametrize("version", VERSIONS, ids=VERSION_IDS)
def test_shared_subscription_round_robin_each_message_once(broker, connected, version):
    # Section 4.8.2: each message goes to exactly one member of the share group; Roost and
    # Mosquitto spread them round robin, so two members get about half each.
    b = broker()
    topic = unique_topic("shared")
    members = [connected(b, version=version) for _ in range(2)]
    for m in members:
        m.subscribe(f"$share/group1/{topic}", qos=1)
    plain = connected(b, version=version)
    plain.subscribe(topic, qos=1)
    pub = connected(b, version=version)
    n = 40
    for i in range(n):
        pub.publish(topic, str(i).encode(), qos=1)
    plain.wait_for(n)  # a normal subscriber gets everything
    counts = collections.Counter()
    for m in members:
        for msg in m.received(settle=0.3):
            counts[msg.payload] += 1
            assert msg.topic == topic  # delivered with the real topic, not the $share filter
    assert sorted(counts) == sorted(str(i).encode() for i in range(n))
    assert set(counts.values()) == {1}  # exactly once to the group
    per_member = [len(m.received()) for m in members]
    assert all(n * 0.3 <= k <= n * 0.7 for k in per_member), per_member


def test_two_share_groups_each_get_every_message(broker, connected):
    # Section 4.8.2: each share group is a separate subscription.
    b = broker()
    topic = unique_topic("shared")
    g1 = [connected(b) for _ in range(2)]
    g2 = [connected(b)]
    for c in g1:
        c.subscribe(f"$share/g1/{topic}", qos=1)
    for c in g2:
        c.subscribe(f"$share/g2/{topic}", qos=1)
    pub = connected(b)
    for i in range(10):
        pub.publish(topic, str(i).encode(), qos=1)
    assert len(g2[0].wait_for(10)) == 10
    total = [m.payload for c in g1 for m in c.received(settle=0.5)]
    assert sorted(total) == sorted(str(i).encode() for i in range(10))


def test_shared_subscription_with_wildcard_filter(broker, connected):
    b = broker()
    base = unique_topic("shared")
    members = [connected(b) for _ in range(2)]
    for m in members:
        m.subscribe(f"$share/wg/{base}/+", qos=1)
    pub = connected(b)
    for i in range(6):
        pub.publish(f"{base}/{i}", b"x", qos=1)
    pub.publish(f"{base}/deeper/no", b"x", qos=1)
    topics = sorted(msg.topic for m in members for msg in m.received(settle=0.8))
    assert topics == sorted(f"{base}/{i}" for i in range(6))


def test_shared_subscription_member_leaving_others_get_all(broker, connected):
    b = broker()
    topic = unique_topic("shared")
    a, c = connected(b), connected(b)
    a.subscribe(f"$share/g/{topic}", qos=1)
    c.subscribe(f"$share/g/{topic}", qos=1)
    a.unsubscribe(f"$share/g/{topic}")
    pub = connected(b)
    for i in range(6):
        pub.publish(topic, str(i).encode(), qos=1)
    assert len(c.wait_for(6)) == 6
    assert a.received() == []


# Mosquitto 2.0.11 grants "$share/g" and "$share//t" (as if they were ordinary filters).
@pytest.mark.parametrize("bad", [
    pytest.param("$share/g", marks=pytest.mark.roost_only),
    pytest.param("$share//t", marks=pytest.mark.roost_only),
    "$share/g+/t", "$share/#/t"])
def test_invalid_shared_subscription_filter_refused(broker, raw, bad):
    # MQTT-4.8.2-1/-2: ShareName is at least one character without `/`, `+` or `#`, and
    # is followed by `/` and a topic filter. SUBACK 0x8F/0x80 or DISCONNECT.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [(bad, 1)], version=R.V5))
    try:
        p = r.read(5)
    except R.Closed:
        p = None
    if p is not None and p.type == R.SUBACK:
        assert p.codes[0] >= 0x80, p
    elif p is not None:
        assert p.type == R.DISCONNECT and p.rc >= 0x80, p
        r.wait_closed(5)
    assert b.accepts_clients()


# ---------------------------------------------------------------- No Local


def test_no_local_does_not_echo_own_messages(broker, connected):
    # MQTT-3.8.3-3: No Local 1 -> messages are not forwarded to the connection with the
    # same client id that published them; others' messages still are.
    b = broker()
    topic = unique_topic("nl")
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, no_local=True)
    c.publish(topic, b"mine", qos=1)
    connected(b, version=V5).publish(topic, b"theirs", qos=1)
    c.wait_for(1)
    assert [m.payload for m in c.received(settle=0.5)] == [b"theirs"]


def test_no_local_off_echoes_own_messages(broker, connected):
    b = broker()
    topic = unique_topic("nl")
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, no_local=False)
    c.publish(topic, b"mine", qos=1)
    assert c.wait_for(1)[0].payload == b"mine"


# Mosquitto 2.0.11 grants it (SUBACK 1) and keeps the connection.
@pytest.mark.roost_only
def test_no_local_on_shared_subscription_is_protocol_error(broker, raw):
    # MQTT-3.8.3-4: No Local 1 on a shared subscription is a Protocol Error.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("$share/g/nl", R.sub_options(1, no_local=True))], version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc == 0x82 for p in got), got


# ---------------------------------------------------------------- Retain As Published


def test_retain_as_published_keeps_retain_flag_on_live_messages(broker, connected):
    # MQTT-3.3.1-13: Retain As Published 1 -> RETAIN flag as set by the publisher.
    b = broker()
    topic = unique_topic("rap")
    rap = connected(b, version=V5)
    rap.subscribe(topic, qos=1, retain_as_published=True)
    plain = connected(b, version=V5)
    plain.subscribe(topic, qos=1)
    pub = connected(b, version=V5)
    pub.publish(topic, b"retained", qos=1, retain=True)
    pub.publish(topic, b"not retained", qos=1, retain=False)
    assert [(m.payload, m.retain) for m in rap.wait_for(2)] == [(b"retained", True),
                                                                (b"not retained", False)]
    # MQTT-3.3.1-12: without it, the flag is 0 on live messages.
    assert [m.retain for m in plain.wait_for(2)] == [False, False]


# ---------------------------------------------------------------- Retain Handling


def _retained(connected, b):
    topic = unique_topic("rh")
    connected(b, version=V5).publish(topic, b"kept", qos=1, retain=True)
    return topic


def test_retain_handling_0_sends_retained_on_every_subscribe(broker, connected):
    # MQTT-3.3.1-9: Retain Handling 0 -> retained messages on every SUBSCRIBE.
    b = broker()
    topic = _retained(connected, b)
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, retain_handling=0)
    c.wait_for(1)
    c.subscribe(topic, qos=1, retain_handling=0)
    got = c.wait_for(2)
    assert [(m.payload, m.retain) for m in got] == [(b"kept", True)] * 2


def test_retain_handling_1_sends_retained_only_for_new_subscription(broker, connected):
    # MQTT-3.3.1-10: Retain Handling 1 -> only if the subscription did not exist.
    b = broker()
    topic = _retained(connected, b)
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, retain_handling=1)
    c.wait_for(1)
    c.subscribe(topic, qos=1, retain_handling=1)
    assert len(c.received(settle=0.6)) == 1


def test_retain_handling_2_never_sends_retained(broker, connected):
    # MQTT-3.3.1-11: Retain Handling 2 -> no retained messages at subscribe time.
    b = broker()
    topic = _retained(connected, b)
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, retain_handling=2)
    assert c.received(settle=0.6) == []
    connected(b, version=V5).publish(topic, b"live", qos=1)
    assert c.wait_for(1)[0].payload == b"live"


def test_retain_handling_3_is_protocol_error(broker, raw):
    # MQTT-3.8.3-5 / section 3.8.3.1: Retain Handling 3 is a Protocol Error.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("rh/3", 0x30)], version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x81, 0x82) for p in got), got


# ---------------------------------------------------------------- Subscription Identifiers


def test_subscription_identifier_delivered(broker, connected):
    # MQTT-3.3.4-3: the PUBLISH carries the Subscription Identifier of the subscription.
    b = broker()
    topic = unique_topic("sid")
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, sub_id=42)
    connected(b, version=V5).publish(topic, b"x", qos=1)
    (m,) = c.wait_for(1)
    assert m.prop("SubscriptionIdentifier") == [42]


def test_subscription_identifier_on_retained_delivery(broker, connected):
    b = broker()
    topic = _retained(connected, b)
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, sub_id=268435455)  # the largest Variable Byte Integer
    (m,) = c.wait_for(1)
    assert m.retain and m.prop("SubscriptionIdentifier") == [268435455]


def test_overlapping_subscriptions_carry_all_identifiers(broker, connected):
    # MQTT-3.3.4-4/-5: one copy per subscription with its id, or one copy with all ids.
    b = broker()
    base = unique_topic("sid")
    c = connected(b, version=V5)
    c.subscribe(f"{base}/+", qos=1, sub_id=1)
    c.subscribe(f"{base}/#", qos=1, sub_id=2)
    c.subscribe(f"{base}/x", qos=1)  # no identifier
    connected(b, version=V5).publish(f"{base}/x", b"x", qos=1)
    c.wait_for(1)
    got = c.received(settle=0.5)
    ids = sorted(i for m in got for i in (m.prop("SubscriptionIdentifier") or []))
    assert ids == [1, 2], got
    assert len(got) in (1, 2, 3)


def test_no_subscription_identifier_when_none_given(broker, raw, connected):
    b = broker()
    topic = unique_topic("sid")
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.subscribe([(topic, 1)])
    connected(b).publish(topic, b"x", qos=1)
    p = r.expect(R.PUBLISH)
    assert "SubscriptionIdentifier" not in p.props


def test_subscription_identifier_zero_is_protocol_error(broker, raw):
    # Section 3.8.2.1.2: a Subscription Identifier of 0 is a Protocol Error.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.subscribe(1, [("sid/0", 1)], props={"SubscriptionIdentifier": 0},
                       version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x81, 0x82) for p in got), got


def test_subscription_identifier_replaced_on_resubscribe(broker, connected):
    b = broker()
    topic = unique_topic("sid")
    c = connected(b, version=V5)
    c.subscribe(topic, qos=1, sub_id=5)
    c.subscribe(topic, qos=1, sub_id=6)
    connected(b, version=V5).publish(topic, b"x", qos=1)
    (m,) = c.wait_for(1)
    assert m.prop("SubscriptionIdentifier") == [6]


def test_v311_shared_subscription_supported(broker, connected):
    # Mosquitto accepts $share filters from v3.1.1 clients too.
    b = broker()
    topic = unique_topic("shared")
    a, c = connected(b, version=V311), connected(b, version=V311)
    for x in (a, c):
        x.subscribe(f"$share/v3/{topic}", qos=1)
    pub = connected(b, version=V311)
    for i in range(4):
        pub.publish(topic, b"x", qos=1)
    assert len(a.received(settle=0.6)) + len(c.received()) == 4
