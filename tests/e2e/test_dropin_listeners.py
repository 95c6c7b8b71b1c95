"""Listener options from mosquitto.conf: `mount_point`, `use_username_as_clientid` and
`per_listener_settings true` with two listeners.

Mosquitto 2.0.11 has a known bug here: it does not remove the mount point from the
topics of messages it sends to clients on that listener (eclipse-mosquitto/mosquitto
#2244, fixed in 2.0.12; 1.6 removed it, as mosquitto.conf(5) says). Which messages a
mounted client gets is checked on both brokers; the topic it sees is roost_only.
"""

import re

import pytest

import rawmqtt as R
from harness import mosquitto_passwd, messages_until, unique_id, wait_until

VERSIONS = [R.V311, R.V5]
IDS = ["v311", "v5"]
REFUSED = {R.V311: 5, R.V5: 0x87}

MOUNTED = ["listener {port} 127.0.0.1",
           "listener {port2} 127.0.0.1",
           "mount_point m/",
           "allow_anonymous true"]


# ---------------------------------------------------------------- mount_point

@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_mount_point_prefixes_what_a_mounted_client_publishes(broker, raw_login, version):
    b = broker(conf=MOUNTED)
    plain = raw_login(b, version=version)
    plain.subscribe([("#", 1)])
    mounted = raw_login(b, version=version, port=b.ports[1])
    mounted.publish("x", b"from-mount", qos=1)
    mounted.publish("a/b", b"sentinel", qos=1)
    assert messages_until(plain, "sentinel") == [("m/x", b"from-mount")]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_mount_point_client_gets_only_its_mount_space(broker, raw_login, version):
    b = broker(conf=MOUNTED)
    mounted = raw_login(b, version=version, port=b.ports[1])
    mounted.subscribe([("#", 1)])
    plain = raw_login(b, version=version)
    plain.publish("y", b"outside", qos=1)
    plain.publish("n/y", b"outside-too", qos=1)
    plain.publish("m/y", b"inside", qos=1)
    plain.publish("m/z", b"sentinel", qos=1)
    got = messages_until(mounted, "sentinel")
    assert [payload for _, payload in got] == [b"inside"]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_mount_point_subscription_filter_is_mounted_too(broker, raw_login, version):
    # A mounted client subscribing to `x` gets what is published to `m/x`, not `x`.
    b = broker(conf=MOUNTED)
    mounted = raw_login(b, version=version, port=b.ports[1])
    mounted.subscribe([("x", 1), ("s", 1)])
    plain = raw_login(b, version=version)
    plain.publish("x", b"plain-x", qos=1)
    plain.publish("m/x", b"mounted-x", qos=1)
    plain.publish("m/s", b"sentinel", qos=1)
    assert [payload for _, payload in messages_until(mounted, "sentinel")] == [b"mounted-x"]


# Mosquitto 2.0.11 sends these as `m/y` and `m/x` (issue #2244 above).
@pytest.mark.roost_only
@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_mount_point_removed_from_topics_sent_to_mounted_client(broker, raw_login, version):
    b = broker(conf=MOUNTED)
    mounted = raw_login(b, version=version, port=b.ports[1])
    mounted.subscribe([("#", 1)])
    raw_login(b, version=version).publish("m/y", b"from-plain", qos=1)
    raw_login(b, version=version, port=b.ports[1]).publish("x", b"from-mount", qos=1)
    raw_login(b, version=version).publish("m/z", b"sentinel", qos=1)
    assert messages_until(mounted, "sentinel") == [("y", b"from-plain"), ("x", b"from-mount")]


# ---------------------------------------------------------------- use_username_as_clientid

@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_use_username_as_clientid_second_connection_takes_over(broker, raw, version):
    b = broker(use_username_as_clientid=True)
    user = unique_id("alice")
    first = raw(b, version)
    assert first.connect(unique_id("idA"), username=user).rc == 0
    second = raw(b, version)
    assert second.connect(unique_id("idB"), username=user).rc == 0
    first.wait_closed(5)
    assert second.is_open(0.3)
    flags = "p2" if version == R.V311 else "p5"
    port = second.sock.getsockname()[1]
    wait_until(lambda: re.search(
        re.escape(f"New client connected from 127.0.0.1:{port} as {user} ({flags}, c1, k60, "
                  f"u'{user}')."), b.log_text()), 5, message="log line with the username as id")


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_use_username_as_clientid_resumes_the_users_session(broker, raw, version):
    b = broker(use_username_as_clientid=True)
    user = unique_id("bob")
    props = {"SessionExpiryInterval": 300} if version == R.V5 else None
    first = raw(b, version)
    ack = first.connect(unique_id("one"), username=user, clean=False, props=props)
    assert (ack.rc, ack.session_present) == (0, False)
    first.subscribe([("bob/inbox", 1)])
    first.disconnect()
    second = raw(b, version)
    ack = second.connect(unique_id("two"), username=user, clean=False, props=props)
    assert (ack.rc, ack.session_present) == (0, True)


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_use_username_as_clientid_without_username_is_refused(broker, raw, version):
    # Mosquitto 2.0.11 refuses it even with allow_anonymous true.
    b = broker(use_username_as_clientid=True)
    r = raw(b, version)
    assert r.connect(unique_id("nouser")).rc == REFUSED[version]
    r.wait_closed(5)


# ---------------------------------------------------------------- per_listener_settings

def two_listeners(broker, tmp_path, per_listener):
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "user1", "pw-one", create=True)
    if per_listener:
        return broker(conf=["per_listener_settings true",
                            "listener {port} 127.0.0.1",
                            "allow_anonymous true",
                            "listener {port2} 127.0.0.1",
                            "allow_anonymous false",
                            f"password_file {path}"])
    return broker(conf=["listener {port} 127.0.0.1",
                        "listener {port2} 127.0.0.1",
                        "allow_anonymous false",
                        f"password_file {path}"])


def connack(b, port, version, username=None, password=None):
    r = R.RawClient(port, b.host, version, 5.0)
    try:
        return r.connect(unique_id("pls"), username=username, password=password).rc
    finally:
        r.close()


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_per_listener_settings_anonymous_on_one_listener_only(broker, tmp_path, version):
    b = two_listeners(broker, tmp_path, per_listener=True)
    open_port, locked_port = b.ports
    assert connack(b, open_port, version) == 0
    assert connack(b, locked_port, version) == REFUSED[version]
    assert connack(b, locked_port, version, "user1", "wrong") == REFUSED[version]
    assert connack(b, locked_port, version, "user1", "pw-one") == 0


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_per_listener_settings_listeners_share_one_topic_space(broker, tmp_path, raw_login,
                                                               version):
    b = two_listeners(broker, tmp_path, per_listener=True)
    open_port, locked_port = b.ports
    sub = raw_login(b, "user1", "pw-one", version, port=locked_port)
    sub.subscribe([("shared/#", 1)])
    raw_login(b, version=version, port=open_port).publish("shared/x", b"across", qos=1)
    assert sub.receive_message().payload == b"across"


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_without_per_listener_settings_security_applies_to_every_listener(broker, tmp_path,
                                                                          version):
    b = two_listeners(broker, tmp_path, per_listener=False)
    for port in b.ports:
        assert connack(b, port, version) == REFUSED[version]
        assert connack(b, port, version, "user1", "pw-one") == 0
