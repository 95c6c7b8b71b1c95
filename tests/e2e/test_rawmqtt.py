"""Self-checks of the raw packet codec the other tests rely on (no broker needed)."""

import pytest

import rawmqtt as R


@pytest.mark.parametrize("n,encoded", [
    (0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"),
    (16_384, b"\x80\x80\x01"), (2_097_151, b"\xff\xff\x7f"),
    (2_097_152, b"\x80\x80\x80\x01"), (268_435_455, b"\xff\xff\xff\x7f"),
])
def test_varint_matches_spec_table(n, encoded):
    # MQTT 3.1.1 table 2.4 / MQTT 5 table 1-1.
    assert R.varint(n) == encoded
    assert R._Reader(encoded).varint() == n


def test_varint_over_four_bytes_rejected_by_reader():
    with pytest.raises(R.Malformed):
        R._Reader(b"\xff\xff\xff\xff\x7f").varint()


def test_v5_publish_round_trip_with_properties():
    props = [("MessageExpiryInterval", 30), ("TopicAlias", 3), ("ContentType", "c/t"),
             ("CorrelationData", b"\x00\x01"), ("UserProperty", ("k", "v")),
             ("UserProperty", ("k", "w")), ("SubscriptionIdentifier", 268_435_455)]
    pkt = R.publish("a/b", b"payload", qos=2, retain=True, dup=True, pid=513, props=props,
                    version=R.V5)
    first, rest = pkt[0], pkt[1:]
    length = R._Reader(rest)
    body_len = length.varint()
    p = R.decode(first >> 4, first & 0x0F, rest[length.pos:], R.V5)
    assert body_len == len(rest) - length.pos
    assert (p.topic, p.payload, p.qos, p.retain, p.dup, p.pid) == ("a/b", b"payload", 2,
                                                                    True, True, 513)
    assert p.props.items == props
    assert p.props.all("UserProperty") == [("k", "v"), ("k", "w")]


def test_v311_connect_layout():
    pkt = R.connect("cid", keepalive=60, will={"topic": "w", "payload": b"x", "qos": 1,
                                               "retain": True})
    # type 1, protocol name MQTT, level 4, flags: clean | will | will QoS 1 | will retain
    assert pkt[0] == 0x10
    assert pkt[2:8] == b"\x00\x04MQTT"
    assert pkt[8] == 4
    assert pkt[9] == 0x02 | 0x04 | 0x08 | 0x20
    assert pkt[10:12] == b"\x00\x3c"


def test_subscribe_has_reserved_flags_0010():
    # MQTT-3.8.1-1
    assert R.subscribe(1, [("a", 0)])[0] == 0x82
    assert R.unsubscribe(1, ["a"])[0] == 0xA2
    assert R.pubrel(1)[0] == 0x62
