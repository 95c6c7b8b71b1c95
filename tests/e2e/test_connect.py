"""CONNECT: client identifiers, takeover, clean session / clean start, session expiry,
persistent sessions, keep-alive and a second CONNECT."""

import time

import pytest

import rawmqtt as R
from harness import V5, V311, VERSION_IDS, props, unique_id, unique_topic, wait_until

# ---------------------------------------------------------------- client identifiers


def test_v311_empty_client_id_with_clean_session_is_accepted(broker, raw, connected):
    # MQTT-3.1.3-6: a zero-byte ClientId is assigned a unique id by the server; two such
    # clients can be connected at once and each gets its own messages.
    b = broker()
    a = raw(b)
    assert a.connect("", clean=True).rc == 0
    c = raw(b)
    assert c.connect("", clean=True).rc == 0
    for r in (a, c):
        assert r.subscribe([("anon/t", 1)]).codes == [1]
    connected(b).publish("anon/t", b"both", qos=1)
    for r in (a, c):
        assert r.receive_message().payload == b"both"
    assert a.is_open() and c.is_open()


def test_v5_empty_client_id_gets_assigned_client_identifier(broker, raw):
    # MQTT-3.1.3-6 / MQTT-3.2.2-16: CONNACK carries the Assigned Client Identifier.
    b = broker()
    ids = []
    for _ in range(2):
        r = raw(b, R.V5)
        ack = r.connect("", clean=True)
        assert ack.rc == 0
        ids.append(ack.props.get("AssignedClientIdentifier"))
    assert all(ids) and ids[0] != ids[1], ids


def test_v5_paho_empty_client_id_assigned(broker, client):
    b = broker()
    c = client(b, version=V5, client_id="")
    r = c.ok()
    assert r.prop("AssignedClientIdentifier")


def test_v311_empty_client_id_without_clean_session_refused_rc2(broker, raw):
    # MQTT-3.1.3-8: CONNACK return code 0x02 (Identifier rejected), then close.
    b = broker()
    r = raw(b)
    ack = r.connect("", clean=False)
    assert ack.rc == 0x02
    assert not ack.session_present  # MQTT-3.2.2-4: session present 0 with a non-zero code
    r.wait_closed(5)


def test_v311_client_id_of_23_utf8_chars_accepted(broker, raw):
    # MQTT-3.1.3-5: the server MUST allow 1..23 byte ids of [0-9a-zA-Z].
    b = broker()
    r = raw(b)
    assert r.connect("Az09" * 5 + "xyz").rc == 0


# ---------------------------------------------------------------- takeover


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_session_takeover_closes_old_connection(broker, raw, version):
    # MQTT-3.1.4-2 (v3.1.1) / MQTT-3.1.4-3 (v5): the existing client is disconnected.
    b = broker()
    cid = unique_id()
    old = raw(b, version)
    assert old.connect(cid).rc == 0
    new = raw(b, version)
    assert new.connect(cid).rc == 0
    before_close = old.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc == 0x8E for p in before_close), before_close
    assert new.is_open()
    new.send(R.pingreq())
    assert new.expect(R.PINGRESP)


# Mosquitto 2.0.11 closes the old connection without its DISCONNECT 0x8E reaching it.
@pytest.mark.roost_only
def test_v5_session_takeover_old_connection_gets_disconnect_0x8e(broker, raw):
    # MQTT-3.1.4-3: DISCONNECT with Reason Code 0x8E (Session taken over), then close.
    b = broker()
    cid = unique_id()
    old = raw(b, R.V5)
    old.connect(cid)
    raw(b, R.V5).connect(cid)
    before_close = old.wait_closed(5)
    assert [(p.type, p.rc) for p in before_close] == [(R.DISCONNECT, 0x8E)]


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_IDS)
def test_paho_session_takeover_old_client_disconnected(broker, client, version):
    b = broker()
    cid = unique_id()
    old = client(b, version=version, client_id=cid)
    old.ok()
    new = client(b, version=version, client_id=cid)
    new.ok()
    old.wait_disconnected(5)
    assert new.connected


@pytest.mark.roost_only  # as above: Mosquitto 2.0.11 sends no DISCONNECT 0x8E
def test_v5_paho_session_takeover_old_client_gets_disconnect_0x8e(broker, client):
    b = broker()
    cid = unique_id()
    old = client(b, version=V5, client_id=cid)
    old.ok()
    new = client(b, version=V5, client_id=cid)
    new.ok()
    rc, _ = old.wait_disconnected(5)
    assert rc.value == 0x8E


@pytest.mark.parametrize("version", [V311, V5], ids=VERSION_IDS)
def test_takeover_of_persistent_session_keeps_subscriptions(broker, client, connected,
                                                            version):
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    kw = {"properties": props("CONNECT", SessionExpiryInterval=300)} if version == V5 else {}
    old = client(b, version=version, client_id=cid, clean=False)
    old.ok(**kw)
    old.subscribe(topic, qos=1)
    new = client(b, version=version, client_id=cid, clean=False)
    r = new.ok(**kw)
    assert r.session_present
    connected(b).publish(topic, b"to the new connection", qos=1)
    assert new.wait_for(1)[0].payload == b"to the new connection"


# ---------------------------------------------------------------- clean session (v3.1.1)


def test_v311_persistent_session_present_and_queued_qos1_delivered(broker, client,
                                                                   connected):
    # MQTT-3.1.2-4: a CleanSession=0 session is resumed; MQTT-3.2.2-2: session present 1;
    # MQTT-3.1.2-5: QoS 1/2 messages for it are stored while it is offline.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    s = client(b, version=V311, client_id=cid, clean=False)
    assert not s.ok().session_present
    s.subscribe(topic, qos=1)
    s.disconnect()
    pub = connected(b, version=V311)
    for i in range(3):
        pub.publish(topic, f"offline-{i}".encode(), qos=1)
    s2 = client(b, version=V311, client_id=cid, clean=False)
    assert s2.ok().session_present
    got = s2.wait_for(3)
    assert [m.payload for m in got] == [b"offline-0", b"offline-1", b"offline-2"]
    assert all(m.qos == 1 for m in got)


def test_v311_clean_session_discards_previous_session(broker, client, connected):
    # MQTT-3.1.2-6: CleanSession=1 discards any previous session; MQTT-3.2.2-1: session
    # present 0. A later CleanSession=0 connect then finds no session either.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    s = client(b, version=V311, client_id=cid, clean=False)
    s.ok()
    s.subscribe(topic, qos=1)
    s.disconnect()
    connected(b, version=V311).publish(topic, b"queued", qos=1)
    clean = client(b, version=V311, client_id=cid, clean=True)
    assert not clean.ok().session_present
    assert clean.received(settle=0.5) == []
    clean.disconnect()
    again = client(b, version=V311, client_id=cid, clean=False)
    assert not again.ok().session_present
    connected(b, version=V311).publish(topic, b"after", qos=1)
    assert again.received(settle=0.5) == []  # subscription went with the session


def test_v311_clean_session_state_ends_with_connection(broker, client, connected):
    # MQTT-3.1.2-6: a CleanSession=1 session lasts only as long as the connection.
    b = broker()
    cid = unique_id()
    s = client(b, version=V311, client_id=cid, clean=True)
    s.ok()
    s.subscribe(unique_topic(), qos=1)
    s.disconnect()
    again = client(b, version=V311, client_id=cid, clean=False)
    assert not again.ok().session_present


def test_regression_clean_session_is_not_resumed_by_a_takeover(broker, client):
    # MQTT-3.1.2-6: the state of a CleanSession=1 connection ends with that connection, so a
    # CleanSession=0 takeover while it is still connected starts a new session (this raced
    # with the DISCONNECT before; here the first connection never sends one).
    b = broker()
    cid = unique_id()
    s = client(b, version=V311, client_id=cid, clean=True)
    s.ok()
    s.subscribe(unique_topic(), qos=1)
    again = client(b, version=V311, client_id=cid, clean=False)
    assert not again.ok().session_present


def test_regression_v5_zero_expiry_session_is_not_resumed_by_a_takeover(broker, client):
    # MQTT 5 §3.1.2.11.2: with Session Expiry Interval 0 the session ends when the network
    # connection closes, which a takeover does.
    b = broker()
    cid = unique_id()
    c, _ = _v5_session(client, b, cid, expiry=0)
    c.subscribe(unique_topic(), qos=1)
    _, r = _v5_session(client, b, cid, expiry=60)
    assert not r.session_present


# ---------------------------------------------------------------- clean start / expiry (v5)


def _v5_session(client, b, cid, expiry=None, clean=False):
    c = client(b, version=V5, client_id=cid, clean=clean)
    p = props("CONNECT", SessionExpiryInterval=expiry) if expiry is not None else None
    return c, c.ok(properties=p)


def test_v5_session_expiry_not_elapsed_session_kept(broker, client, connected):
    # MQTT-3.1.2-23: the session is kept for Session Expiry Interval after disconnect.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    c, r = _v5_session(client, b, cid, expiry=60)
    assert not r.session_present
    c.subscribe(topic, qos=1)
    c.disconnect()
    connected(b).publish(topic, b"while away", qos=1)
    c2, r2 = _v5_session(client, b, cid, expiry=60)
    assert r2.session_present
    assert c2.wait_for(1)[0].payload == b"while away"


def test_v5_session_expiry_elapsed_session_gone(broker, client, connected):
    # MQTT-3.1.2-23: once the Session Expiry Interval has passed the session is gone.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    c, _ = _v5_session(client, b, cid, expiry=1)
    c.subscribe(topic, qos=1)
    c.disconnect()
    connected(b).publish(topic, b"for an expiring session", qos=1)
    time.sleep(3.0)
    c2, r2 = _v5_session(client, b, cid, expiry=60)
    assert not r2.session_present
    assert c2.received(settle=0.5) == []


def test_v5_session_expiry_absent_means_session_ends_at_disconnect(broker, client):
    # MQTT-3.1.2-11: absent Session Expiry Interval = 0, the session ends with the
    # connection even with Clean Start 0.
    b = broker()
    cid = unique_id()
    c, _ = _v5_session(client, b, cid, expiry=None)
    c.subscribe(unique_topic(), qos=1)
    c.disconnect()
    _, r = _v5_session(client, b, cid, expiry=60)
    assert not r.session_present


def test_v5_clean_start_discards_existing_session(broker, client, connected):
    # MQTT-3.1.2-4: Clean Start 1 discards an existing session; MQTT-3.2.2-2: session
    # present 0.
    b = broker()
    cid = unique_id()
    topic = unique_topic()
    c, _ = _v5_session(client, b, cid, expiry=60)
    c.subscribe(topic, qos=1)
    c.disconnect()
    connected(b).publish(topic, b"dropped with the session", qos=1)
    c2, r2 = _v5_session(client, b, cid, expiry=60, clean=True)
    assert not r2.session_present
    assert c2.received(settle=0.5) == []


def test_v5_disconnect_can_set_session_expiry_to_zero(broker, client):
    # MQTT-3.14.2: the Session Expiry Interval sent on DISCONNECT replaces the CONNECT's.
    b = broker()
    cid = unique_id()
    c, _ = _v5_session(client, b, cid, expiry=60)
    c.subscribe(unique_topic(), qos=1)
    c.disconnect(reason_code=0, properties=props("DISCONNECT", SessionExpiryInterval=0))
    # Reconnecting at once can race the DISCONNECT: a takeover may reach the old connection
    # before its DISCONNECT is read. Wait until the broker has read it, as a client would
    # that reconnects later.
    wait_until(lambda: f"Client {cid} disconnected." in b.log_text(), 5,
               message="the broker to log the DISCONNECT")
    _, r = _v5_session(client, b, cid, expiry=60)
    assert not r.session_present


def test_v5_disconnect_setting_expiry_when_connect_had_zero_is_protocol_error(broker, raw):
    # MQTT-3.14.2-2: a non-zero Session Expiry Interval on DISCONNECT after CONNECT had 0
    # is a Protocol Error; the session must not become persistent.
    b = broker()
    cid = unique_id()
    r = raw(b, R.V5)
    r.connect(cid, clean=False)
    r.send(R.disconnect(0, {"SessionExpiryInterval": 300}, version=R.V5))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc == 0x82 for p in got), got
    r2 = raw(b, R.V5)
    assert not r2.connect(cid, clean=False, props={"SessionExpiryInterval": 60}).session_present


# ---------------------------------------------------------------- keep-alive


def _silent_after_connect(b, raw, version, keepalive):
    r = raw(b, version)
    assert r.connect(unique_id(), keepalive=keepalive).rc == 0
    start = time.monotonic()
    got = r.wait_closed(12)
    elapsed = time.monotonic() - start
    if version == R.V5:
        assert all(p.type == R.DISCONNECT and p.rc == 0x8D for p in got), got
    return elapsed


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_keepalive_enforced_silent_client_closed(broker, raw, version):
    # MQTT-3.1.2-24 (v3.1.1) / MQTT-3.1.2-22 (v5): no packet within 1.5 x Keep Alive ->
    # the server closes the connection (v5: DISCONNECT 0x8D Keep Alive timeout first).
    # Bounds loose enough for Mosquitto, which checks keep-alives about every 5 s.
    elapsed = _silent_after_connect(broker(), raw, version, keepalive=1)
    assert 1.0 <= elapsed <= 8.0, elapsed


# Mosquitto 2.0.11 only checks keep-alives every few seconds (closes after ~5-6 s).
@pytest.mark.roost_only
@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_keepalive_enforced_at_one_and_a_half_times(broker, raw, version):
    # MQTT-3.1.2-24 / MQTT-3.1.2-22: Keep Alive 1 -> closed after 1.5 s, not much later.
    elapsed = _silent_after_connect(broker(), raw, version, keepalive=1)
    assert 1.4 <= elapsed <= 3.0, elapsed


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_keepalive_pings_keep_connection_open(broker, raw, version):
    b = broker()
    r = raw(b, version)
    r.connect(unique_id(), keepalive=1)
    for _ in range(6):  # 3 s, twice the 1.5 s limit
        time.sleep(0.5)
        r.send(R.pingreq())
        assert r.expect(R.PINGRESP)


def test_max_keepalive_v5_server_keep_alive_in_connack(broker, raw, client):
    # MQTT-3.2.2-21: the client must use the Server Keep Alive the server sends.
    b = broker(max_keepalive=10)
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), keepalive=60)
    assert ack.rc == 0
    assert ack.props.get("ServerKeepAlive") == 10
    c = client(b, version=V5, keepalive=60)
    assert c.ok().prop("ServerKeepAlive") == 10


def test_max_keepalive_v5_keepalive_zero_gets_server_keep_alive(broker, raw):
    # Mosquitto's max_keepalive also bounds clients asking for no keep-alive at all.
    b = broker(max_keepalive=10)
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), keepalive=0)
    assert ack.rc == 0 and ack.props.get("ServerKeepAlive") == 10


def test_max_keepalive_v5_lower_client_value_kept(broker, raw):
    b = broker(max_keepalive=10)
    r = raw(b, R.V5)
    ack = r.connect(unique_id(), keepalive=5)
    assert ack.rc == 0
    assert ack.props.get("ServerKeepAlive", 5) == 5


def test_max_keepalive_does_not_refuse_v311_clients(broker, raw):
    # mosquitto.conf(5), Mosquitto 2.0: max_keepalive only applies to MQTT v5 clients.
    b = broker(max_keepalive=10)
    r = raw(b)
    assert r.connect(unique_id(), keepalive=30).rc == 0


# ---------------------------------------------------------------- second CONNECT


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_second_connect_is_protocol_error(broker, raw, version):
    # MQTT-3.1.0-2: a second CONNECT is a protocol violation; the server disconnects.
    b = broker()
    r = raw(b, version)
    cid = unique_id()
    assert r.connect(cid).rc == 0
    r.send(R.connect(cid, version=version))
    got = r.wait_closed(5)
    assert all(p.type == R.DISCONNECT and p.rc == 0x82 for p in got), got
    assert b.accepts_clients()


@pytest.mark.parametrize("version", [R.V311, R.V5], ids=VERSION_IDS)
def test_unknown_protocol_level_refused(broker, raw, version):
    # MQTT-3.1.2-2: unsupported protocol level -> CONNACK 0x01 (v3.1.1) / 0x84 (v5) or
    # just close; here level 9 in an otherwise valid CONNECT.
    b = broker()
    r = raw(b, version)
    r.send(R.connect(unique_id(), version=9))
    got = r.wait_closed(5)
    assert all(p.type == R.CONNACK and p.rc in (0x01, 0x84) for p in got), got
