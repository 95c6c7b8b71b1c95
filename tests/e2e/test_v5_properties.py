"""MQTT 5 properties: message expiry, application properties passed through, the
client's Maximum Packet Size, problem/response information, reason strings, AUTH."""

import time

import pytest

import rawmqtt as R
from harness import V5, V311, props, unique_id, unique_topic

# ---------------------------------------------------------------- message expiry


def _offline_session(client, b, topic, expiry=300):
    cid = unique_id()
    c = client(b, version=V5, client_id=cid, clean=False)
    c.ok(properties=props("CONNECT", SessionExpiryInterval=expiry))
    c.subscribe(topic, qos=1)
    c.disconnect()
    return cid


def _resume(client, b, cid):
    c = client(b, version=V5, client_id=cid, clean=False)
    r = c.ok(properties=props("CONNECT", SessionExpiryInterval=300))
    assert r.session_present
    return c


def test_expired_message_not_delivered_to_offline_session(broker, client, connected):
    # MQTT-3.3.2-5: once the Message Expiry Interval has passed, the server MUST NOT
    # deliver the message to a subscriber that has not yet had it.
    b = broker()
    topic = unique_topic("exp")
    cid = _offline_session(client, b, topic)
    pub = connected(b, version=V5)
    pub.publish(topic, b"short-lived", qos=1,
                properties=props("PUBLISH", MessageExpiryInterval=1))
    pub.publish(topic, b"long-lived", qos=1,
                properties=props("PUBLISH", MessageExpiryInterval=60))
    pub.publish(topic, b"immortal", qos=1)
    time.sleep(2.5)
    c = _resume(client, b, cid)
    c.wait_for(2)
    got = c.received(settle=0.5)
    assert [m.payload for m in got] == [b"long-lived", b"immortal"]
    # MQTT-3.3.2-6: the forwarded interval is the received one minus the time waited.
    remaining = got[0].prop("MessageExpiryInterval")
    assert remaining is not None and remaining <= 58, remaining
    assert got[1].prop("MessageExpiryInterval") is None


def test_message_expiry_forwarded_to_online_subscriber(broker, connected):
    # MQTT-3.3.2-6: the Message Expiry Interval is forwarded (not larger than sent).
    b = broker()
    topic = unique_topic("exp")
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=1)
    connected(b, version=V5).publish(topic, b"x", qos=1,
                                     properties=props("PUBLISH", MessageExpiryInterval=30))
    (m,) = sub.wait_for(1)
    assert 0 < m.prop("MessageExpiryInterval") <= 30


def test_expired_retained_message_not_delivered(broker, connected):
    # MQTT-3.3.2-5 for retained messages: an expired retained message is not sent.
    b = broker()
    topic = unique_topic("exp")
    pub = connected(b, version=V5)
    pub.publish(topic, b"gone soon", qos=1, retain=True,
                properties=props("PUBLISH", MessageExpiryInterval=1))
    time.sleep(2.5)
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=1)
    assert sub.received(settle=0.5) == []


def test_retained_message_expiry_counts_down(broker, connected):
    b = broker()
    topic = unique_topic("exp")
    connected(b, version=V5).publish(topic, b"kept", qos=1, retain=True,
                                     properties=props("PUBLISH", MessageExpiryInterval=60))
    time.sleep(2.2)
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=1)
    (m,) = sub.wait_for(1)
    assert m.retain and m.prop("MessageExpiryInterval") <= 58


# ---------------------------------------------------------------- pass-through


def test_application_properties_passed_through(broker, connected):
    # MQTT-3.3.2-4 (Payload Format Indicator), -17/-18 (User Properties, order kept),
    # section 3.3.2.3.5-3.3.2.3.9: content type, response topic and correlation data are
    # forwarded unaltered.
    b = broker()
    topic = unique_topic("props")
    sub = connected(b, version=V5)
    sub.subscribe(topic, qos=1)
    p = props("PUBLISH", PayloadFormatIndicator=1, ContentType="application/json",
              ResponseTopic="reply/to/me", CorrelationData=b"\x00\xffcorr",
              UserProperty=[("b", "2"), ("a", "1"), ("a", "again"), ("unicode", "ünï")])
    connected(b, version=V5).publish(topic, b'{"k": 1}', qos=1, properties=p)
    (m,) = sub.wait_for(1)
    assert m.prop("PayloadFormatIndicator") == 1
    assert m.prop("ContentType") == "application/json"
    assert m.prop("ResponseTopic") == "reply/to/me"
    assert m.prop("CorrelationData") == b"\x00\xffcorr"
    assert m.prop("UserProperty") == [("b", "2"), ("a", "1"), ("a", "again"),
                                      ("unicode", "ünï")]


def test_properties_kept_for_offline_session(broker, client, connected):
    b = broker()
    topic = unique_topic("props")
    cid = _offline_session(client, b, topic)
    connected(b, version=V5).publish(
        topic, b"x", qos=1,
        properties=props("PUBLISH", ContentType="text/plain", UserProperty=[("k", "v")]))
    c = _resume(client, b, cid)
    (m,) = c.wait_for(1)
    assert m.prop("ContentType") == "text/plain" and m.prop("UserProperty") == [("k", "v")]


def test_request_response_pattern(broker, connected):
    # Section 4.10: a responder uses Response Topic and Correlation Data.
    b = broker()
    base = unique_topic("rr")
    responder = connected(b, version=V5)
    responder.subscribe(f"{base}/requests", qos=1)
    requester = connected(b, version=V5)
    requester.subscribe(f"{base}/responses", qos=1)
    requester.publish(f"{base}/requests", b"ping", qos=1, properties=props(
        "PUBLISH", ResponseTopic=f"{base}/responses", CorrelationData=b"req-7"))
    (req,) = responder.wait_for(1)
    responder.publish(req.prop("ResponseTopic"), b"pong", qos=1, properties=props(
        "PUBLISH", CorrelationData=req.prop("CorrelationData")))
    (resp,) = requester.wait_for(1)
    assert (resp.payload, resp.prop("CorrelationData")) == (b"pong", b"req-7")


def test_v5_properties_dropped_for_v311_subscriber(broker, connected):
    b = broker()
    topic = unique_topic("props")
    old = connected(b, version=V311)
    old.subscribe(topic, qos=1)
    connected(b, version=V5).publish(topic, b"plain", qos=1,
                                     properties=props("PUBLISH", UserProperty=[("k", "v")]))
    assert old.wait_for(1)[0].payload == b"plain"


def test_invalid_payload_format_indicator_payload(broker, raw):
    # MQTT-3.3.2-4 / section 3.3.2.3.2: Payload Format Indicator 1 with invalid UTF-8 may
    # be refused: PUBACK 0x99 Payload format invalid, or DISCONNECT 0x99; or delivered.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("pfi/x", b"\xff\xfe", qos=1, pid=1,
                     props={"PayloadFormatIndicator": 1}, version=R.V5))
    try:
        p = r.read(5)
    except R.Closed:
        p = None
    assert p is None or (p.type == R.PUBACK and p.rc in (0x00, 0x10, 0x99)) or (
        p.type == R.DISCONNECT and p.rc == 0x99), p
    assert b.accepts_clients()


# ---------------------------------------------------------------- client Maximum Packet Size


def test_client_maximum_packet_size_respected_by_broker(broker, raw, connected):
    # MQTT-3.1.2-24: the server does not send packets larger than the client's Maximum
    # Packet Size; MQTT-3.1.2-25: it discards them as if sent, the connection stays up.
    b = broker()
    topic = unique_topic("mps")
    r = raw(b, R.V5)
    r.connect(unique_id(), props={"MaximumPacketSize": 200})
    r.subscribe([(topic, 1)])
    pub = connected(b, version=V5)
    pub.publish(topic, b"small-1", qos=1)
    pub.publish(topic, b"L" * 1000, qos=1)
    pub.publish(topic, b"small-2", qos=1)
    got = []
    for p in r.read_all(1.5):
        assert 1 + len(R.varint(len(p.body))) + len(p.body) <= 200
        if p.type == R.PUBLISH:
            got.append(p.payload)
            r.send(R.puback(p.pid, version=R.V5))
    assert got == [b"small-1", b"small-2"]
    assert r.is_open()


def test_client_maximum_packet_size_with_paho(broker, client, connected):
    b = broker()
    topic = unique_topic("mps")
    c = client(b, version=V5)
    c.ok(properties=props("CONNECT", MaximumPacketSize=300))
    c.subscribe(topic, qos=0)
    pub = connected(b, version=V5)
    for size in (10, 5000, 20, 100_000, 30):
        pub.publish(topic, b"p" * size, qos=0)
    c.wait_for(3)
    assert [len(m.payload) for m in c.received(settle=0.5)] == [10, 20, 30]
    assert c.connected


# ---------------------------------------------------------------- problem / response info


def test_request_problem_information_zero_no_reason_string_on_acks(broker, raw):
    # MQTT-3.1.2-29: with Request Problem Information 0 the server sends no Reason String
    # or User Property except on PUBLISH, CONNACK and DISCONNECT.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id(), props={"RequestProblemInformation": 0})
    acks = [r.publish("rpi/nobody", b"x", qos=1),
            r.publish("rpi/nobody", b"x", qos=2),
            r.subscribe([("rpi/x", 1)]),
            r.unsubscribe(["rpi/never-subscribed"])]
    for a in acks:
        assert "ReasonString" not in a.props and "UserProperty" not in a.props, a


def test_request_response_information(broker, raw):
    # Section 3.1.2.11.7: the server MAY answer with Response Information; if present it
    # is a UTF-8 string.
    b = broker()
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), props={"RequestResponseInformation": 1})
    assert ack.rc == 0
    info = ack.props.get("ResponseInformation")
    assert info is None or isinstance(info, str)
    plain = raw(b, R.V5)
    # Section 3.1.2.11.7: without the request, no Response Information.
    assert "ResponseInformation" not in plain.connect(unique_id()).props


# Mosquitto 2.0.11 sends no Reason Strings; Roost explains its errors (a SHOULD-level
# courtesy in MQTT 5, sections 3.14.2.2.3 and 4.13).
@pytest.mark.roost_only
def test_reason_string_on_protocol_error_disconnect(broker, raw):
    b = broker(max_topic_alias=2)
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.publish("rs/x", b"x", qos=1, pid=1, props={"TopicAlias": 9}, version=R.V5))
    got = r.wait_closed(5)
    assert len(got) == 1 and got[0].type == R.DISCONNECT and got[0].rc == 0x94
    assert got[0].props.get("ReasonString"), got[0]


@pytest.mark.roost_only  # as above
def test_reason_string_on_refused_connect(broker, raw):
    b = broker()
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), props={"AuthenticationMethod": "NO-SUCH-METHOD"})
    assert ack.rc == 0x8C and ack.props.get("ReasonString")


# ---------------------------------------------------------------- AUTH


def test_unknown_authentication_method_refused_0x8c(broker, raw):
    # MQTT-4.12.0-1: an unsupported Authentication Method -> CONNACK 0x8C (Bad
    # authentication method) and the connection is closed.
    b = broker()
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), props={"AuthenticationMethod": "SCRAM-SHA-512",
                                        "AuthenticationData": b"client-first"})
    assert ack.rc == 0x8C
    assert not ack.session_present
    r.wait_closed(5)
    assert b.accepts_clients()


def test_unknown_authentication_method_refused_with_paho(broker, client):
    b = broker()
    c = client(b, version=V5)
    r = c.connect(properties=props("CONNECT", AuthenticationMethod="GS2-KRB5"))
    assert r.value == 0x8C


def test_auth_packet_without_authentication_method_is_protocol_error(broker, raw):
    # Section 4.12: a client that did not give an Authentication Method
    # must not send AUTH; the server treats it as a Protocol Error.
    b = broker()
    r = raw(b, R.V5)
    r.connect(unique_id())
    r.send(R.auth(0x18, {"AuthenticationMethod": "X"}))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc in (0x82, 0x8C) for p in got), got
    assert b.accepts_clients()
