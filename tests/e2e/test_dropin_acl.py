"""ACL files in Mosquitto's format (`acl_file`), with a password file so users are known.

What Mosquitto 2.0.11 does, and these tests check on both brokers:
- a PUBLISH without write rights is acknowledged as usual and dropped; MQTT 5 clients
  get PUBACK / PUBREC reason 0x87 Not authorized, 3.1.1 clients a plain PUBACK;
- a message is delivered to a subscriber only if the subscriber may read its topic; the
  same goes for retained messages sent on SUBSCRIBE;
- `topic deny` beats any grant, wherever it is in the section;
- lines before the first `user` line apply to anonymous clients only;
- `pattern` lines apply to every user, `%u` being the username and `%c` the client id;
- whatever is not granted is denied.

Mosquitto 2.0.11 grants every SUBSCRIBE (the SUBACK carries the requested QoS) and only
filters delivery; Roost answers a SUBSCRIBE the ACL can never satisfy with SUBACK 0x80
(3.1.1) / 0x87 (MQTT 5): that one assertion is roost_only.

"Not delivered" is checked with a sentinel: the same publisher then publishes a message
the subscriber may receive, and nothing may arrive before it.
"""

import signal

import pytest

import rawmqtt as R
from harness import AuthFiles, messages_until, unique_id

VERSIONS = [R.V311, R.V5]
IDS = ["v311", "v5"]
USERS = {"user1": "pw-one", "user2": "pw-two", "user3": "pw-three"}

# user2 may do everything: it publishes what user1 should (not) receive and observes what
# user1 publishes.
OBSERVER = """
user user2
topic readwrite #
"""


@pytest.fixture
def secured(broker, tmp_path):
    """Factory: `secured(acl_text, allow_anonymous=False, **directives)` writes the password
    file (USERS) and the ACL and starts a broker on them; returns (broker, AuthFiles)."""

    def start(acl, allow_anonymous=False, **directives):
        files = AuthFiles(tmp_path, USERS)
        files.write_acl(acl)
        return broker(conf=files.conf(allow_anonymous), **directives), files

    return start


@pytest.fixture
def login(raw_login):
    """Factory: `login(b, user, version, client_id=None)`: a connected RawClient (user None:
    anonymous)."""

    def connect(b, user, version=R.V5, client_id=None):
        return raw_login(b, user, USERS.get(user), version, client_id)

    return connect


def denied_code(version):
    """The PUBACK reason a publisher sees for a topic it may not write."""
    return 0x87 if version == R.V5 else 0x00


def subscribed(r, *filters):
    """Subscribe at QoS 1, one filter per SUBSCRIBE, in order."""
    for f in filters:
        r.subscribe([(f, 1)])
    return r


def retained_until(r, sentinel, *filters):
    """Subscribe to `filters` one SUBSCRIBE at a time (QoS 1) and return the messages that
    arrive before the one whose payload is `sentinel`. A retained message for a filter
    arrives after its SUBACK and before the next SUBACK, so the order is the filters'."""
    sentinel = sentinel.encode()
    got = []
    for f in filters:
        pid = r.pid()
        r.send(R.subscribe(pid, [(f, 1)], version=r.version))
        while (p := r.read(5)).type != R.SUBACK:
            assert p.type == R.PUBLISH, p
            r.ack(p)
            got.append((p.topic, p.payload))
    payloads = [payload for _, payload in got]
    if sentinel in payloads:
        return got[:payloads.index(sentinel)]
    return got + messages_until(r, sentinel)


# ---------------------------------------------------------------- topic read / write / readwrite

@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_topic_read_lets_user_receive_but_not_publish(secured, login, version):
    b, _ = secured("""
        user user1
        topic read a/#
        topic write w/#
    """ + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    u1 = login(b, "user1", version)
    assert u1.subscribe([("a/#", 1)]).codes == [1]
    login(b, "user2").publish("a/x", b"for-user1", qos=1)
    assert messages_until(u1, "for-user1") == []
    assert messages_until(observer, "for-user1") == []

    assert u1.publish("a/x", b"read-only", qos=1).rc == denied_code(version)
    assert u1.publish("w/x", b"sentinel", qos=1).rc == 0
    assert messages_until(observer, "sentinel") == []


def test_topic_read_qos2_publish_gets_pubrec_0x87(secured, login):
    b, _ = secured("""
        user user1
        topic read a/#
    """ + OBSERVER)
    u1 = login(b, "user1", R.V5)
    assert u1.publish("a/x", b"read-only", qos=2).rc == 0x87  # PUBREC, MQTT 5 only


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_topic_write_lets_user_publish_but_not_receive(secured, login, version):
    b, _ = secured("""
        user user1
        topic write w/#
        topic read r/#
    """ + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    u1 = login(b, "user1", version)
    assert u1.publish("w/x", b"written", qos=1).rc == 0
    assert messages_until(observer, "written") == []

    subscribed(u1, "w/#", "r/#")
    user2 = login(b, "user2")
    user2.publish("w/y", b"write-only-for-user1", qos=1)
    user2.publish("r/y", b"sentinel", qos=1)
    assert messages_until(u1, "sentinel") == []


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_topic_readwrite_lets_user_publish_and_receive(secured, login, version):
    b, _ = secured("""
        user user1
        topic readwrite rw/#
    """ + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    u1 = subscribed(login(b, "user1", version), "rw/#")
    publisher = login(b, "user1", version)
    assert publisher.publish("rw/x", b"own", qos=1).rc == 0
    login(b, "user2").publish("rw/y", b"from-user2", qos=1)
    assert messages_until(u1, "from-user2") == [("rw/x", b"own")]
    assert messages_until(observer, "own") == []


@pytest.mark.parametrize("deny_first", [False, True], ids=["deny-after", "deny-before"])
@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_topic_deny_beats_a_broader_grant(secured, login, version, deny_first):
    grant, deny = "topic readwrite d/#", "topic deny d/secret"
    lines = [deny, grant] if deny_first else [grant, deny]
    b, _ = secured("user user1\n" + "\n".join(lines) + "\n" + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    u1 = login(b, "user1", version)
    assert u1.publish("d/secret", b"denied", qos=1).rc == denied_code(version)
    assert u1.publish("d/open", b"sentinel", qos=1).rc == 0
    assert messages_until(observer, "sentinel") == []

    subscribed(u1, "d/#")
    user2 = login(b, "user2")
    user2.publish("d/secret", b"hidden", qos=1)
    user2.publish("d/open", b"sentinel-2", qos=1)
    assert messages_until(u1, "sentinel-2") == []


# ---------------------------------------------------------------- sections and patterns

ANON_ACL = """
topic read public/#
topic write inbox/#
user user1
topic readwrite private/#
""" + OBSERVER


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_lines_before_first_user_apply_to_anonymous_clients(secured, login, version):
    b, _ = secured(ANON_ACL, allow_anonymous=True)
    anon = subscribed(login(b, None, version), "private/#", "public/#")
    user2 = login(b, "user2")
    user2.publish("private/x", b"not-for-anonymous", qos=1)
    user2.publish("public/x", b"for-anonymous", qos=1)
    assert messages_until(anon, "for-anonymous") == []

    observer = subscribed(login(b, "user2"), "#")
    writer = login(b, None, version)
    assert writer.publish("public/x", b"read-only", qos=1).rc == denied_code(version)
    assert writer.publish("inbox/x", b"sentinel", qos=1).rc == 0
    assert messages_until(observer, "sentinel") == []


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_anonymous_section_does_not_apply_to_users(secured, login, version):
    b, _ = secured(ANON_ACL, allow_anonymous=True)
    u1 = subscribed(login(b, "user1", version), "public/#", "private/#")
    user2 = login(b, "user2")
    user2.publish("public/x", b"anonymous-only", qos=1)
    user2.publish("private/x", b"sentinel", qos=1)
    assert messages_until(u1, "sentinel") == []

    observer = subscribed(login(b, "user2"), "#")
    writer = login(b, "user1", version)
    assert writer.publish("inbox/x", b"anonymous-write", qos=1).rc == denied_code(version)
    assert writer.publish("private/y", b"sentinel-2", qos=1).rc == 0
    assert messages_until(observer, "sentinel-2") == []


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_pattern_with_username(secured, login, version):
    b, _ = secured("pattern readwrite users/%u/#\n" + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    u1 = login(b, "user1", version)
    assert u1.publish("users/user2/x", b"not-mine", qos=1).rc == denied_code(version)
    assert u1.publish("users/user1/x", b"mine", qos=1).rc == 0
    assert messages_until(observer, "mine") == []

    subscribed(u1, "users/+/in")
    user2 = login(b, "user2")
    user2.publish("users/user2/in", b"for-user2", qos=1)
    user2.publish("users/user1/in", b"for-user1", qos=1)
    assert messages_until(u1, "for-user1") == []


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_pattern_with_client_id(secured, login, version):
    b, _ = secured("pattern readwrite clients/%c/#\n" + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    cid = unique_id("device")
    u1 = login(b, "user1", version, client_id=cid)
    assert u1.publish("clients/someone-else/x", b"not-mine", qos=1).rc == denied_code(version)
    assert u1.publish(f"clients/{cid}/x", b"mine", qos=1).rc == 0
    assert messages_until(observer, "mine") == []

    subscribed(u1, "clients/+/cmd")
    user2 = login(b, "user2")
    user2.publish("clients/someone-else/cmd", b"not-for-me", qos=1)
    user2.publish(f"clients/{cid}/cmd", b"for-me", qos=1)
    assert messages_until(u1, "for-me") == []


# ---------------------------------------------------------------- default deny

@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_what_is_not_granted_is_denied(secured, login, version):
    b, _ = secured("""
        user user1
        topic read a/#
        topic write a/out
    """ + OBSERVER)
    observer = subscribed(login(b, "user2"), "#")
    writer = login(b, "user1", version)
    assert writer.publish("elsewhere", b"not-granted", qos=1).rc == denied_code(version)
    assert writer.publish("a/out", b"sentinel", qos=1).rc == 0
    assert messages_until(observer, "sentinel") == []

    reader = subscribed(login(b, "user1", version), "#")
    user2 = login(b, "user2")
    user2.publish("elsewhere", b"not-readable", qos=1)
    user2.publish("a/in", b"sentinel-2", qos=1)
    assert messages_until(reader, "sentinel-2") == []


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_user_without_acl_section_may_do_nothing(secured, login, version):
    b, _ = secured(OBSERVER)  # user3 is in the password file, not in the ACL
    observer = subscribed(login(b, "user2"), "#")
    u3 = login(b, "user3", version)
    assert u3.publish("any/topic", b"not-granted", qos=1).rc == denied_code(version)
    # Another publisher's sentinel: u3's PUBACK came after the broker dropped its message.
    login(b, "user2").publish("any/other", b"sentinel", qos=1)
    assert messages_until(observer, "sentinel") == []


# ---------------------------------------------------------------- SUBSCRIBE

@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_subscription_without_read_rights_delivers_nothing(secured, login, version):
    b, _ = secured("""
        user user1
        topic read a/#
    """ + OBSERVER)
    u1 = subscribed(login(b, "user1", version), "secret/#", "a/#")
    user2 = login(b, "user2")
    user2.publish("secret/x", b"hidden", qos=1)
    user2.publish("a/x", b"sentinel", qos=1)
    assert messages_until(u1, "sentinel") == []


# Mosquitto 2.0.11 answers this SUBSCRIBE with the requested QoS (SUBACK 0x01) and only
# filters delivery (checked above on both brokers); Roost refuses it up front.
@pytest.mark.roost_only
@pytest.mark.parametrize("version,refused", [(R.V311, 0x80), (R.V5, 0x87)], ids=IDS)
def test_subscribe_without_read_rights_gets_suback_refusal(secured, login, version, refused):
    b, _ = secured("""
        user user1
        topic read a/#
    """ + OBSERVER)
    u1 = login(b, "user1", version)
    assert u1.subscribe([("secret/#", 1)]).codes == [refused]
    assert u1.subscribe([("a/x", 1), ("secret/x", 0), ("a/#", 0)]).codes == [1, refused, 0]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_retained_message_not_sent_without_read_rights(secured, login, version):
    b, _ = secured("""
        user user1
        topic read a/#
    """ + OBSERVER)
    user2 = login(b, "user2")
    user2.publish("secret/r", b"hidden", qos=1, retain=True)
    user2.publish("a/r", b"visible", qos=1, retain=True)
    u1 = login(b, "user1", version)
    assert retained_until(u1, "visible", "secret/r", "a/r") == []
    # The same through a wildcard: only what user1 may read.
    u1b = subscribed(login(b, "user1", version), "#")
    assert u1b.receive_message().payload == b"visible"
    assert u1b.read_all(0.5) == []


# ---------------------------------------------------------------- check_retain_source

@pytest.mark.parametrize("check,delivered", [(True, False), (False, True)],
                         ids=["check_retain_source-true", "check_retain_source-false"])
def test_check_retain_source_after_publisher_loses_write(secured, login, check, delivered):
    # With check_retain_source true a retained message is sent on SUBSCRIBE only if its
    # publisher may still write the topic; here its rights go in an ACL reload (SIGHUP).
    b, files = secured("""
        user user1
        topic readwrite rw/#
    """ + OBSERVER, check_retain_source=check)
    login(b, "user1").publish("rw/r", b"from-user1", qos=1, retain=True)
    login(b, "user2").publish("rw/s", b"sentinel", qos=1, retain=True)

    files.write_acl("""
        user user1
        topic read rw/#
    """ + OBSERVER)
    b.send_signal(signal.SIGHUP)
    files.wait_applied(b)

    expected = [("rw/r", b"from-user1")] if delivered else []
    assert retained_until(login(b, "user2"), "sentinel", "rw/r", "rw/s") == expected
