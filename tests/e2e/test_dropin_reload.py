"""SIGHUP re-reads the password and ACL files, as `kill -HUP $(pidof mosquitto)` does.

Mosquitto 2.0.11, observed: a user added to the password file can connect after the
SIGHUP; clients whose user is still in the file stay connected; clients of a user
removed from the file are disconnected; a changed ACL applies at once to connected
clients and their existing subscriptions. A password file that cannot be read on reload
leaves Mosquitto running but refusing every client until a good file is loaded; a file
with a corrupt line is loaded without that line. Roost keeps the previous settings when
the new file is broken (roost_only below).
"""

import signal
import time

import pytest

import rawmqtt as R
from harness import AuthFiles, connack_code, messages_until, unique_topic, wait_until

VERSIONS = [R.V311, R.V5]
IDS = ["v311", "v5"]
REFUSED = {R.V311: 5, R.V5: 0x87}
# How long a reload that must change nothing is given before the check.
SETTLE = 1.5


def reload(b):
    b.send_signal(signal.SIGHUP)


def wait_accepted(b, user, password, version=R.V5, timeout=10.0):
    wait_until(lambda: connack_code(b, user, password, version) == 0, timeout, interval=0.1,
               message=f"{user} accepted")


def wait_refused(b, user, password, version=R.V5, timeout=10.0):
    wait_until(lambda: connack_code(b, user, password, version) == REFUSED[version], timeout,
               interval=0.1, message=f"{user} refused")


def round_trip(r, topic):
    """The connection still works: it gets its own QoS 1 message back."""
    payload = unique_topic("alive").encode()
    r.subscribe([(topic, 1)])
    r.send(R.publish(topic, payload, qos=1, pid=r.pid(), version=r.version))
    got = [p for p in r.read_all(1.0) if p.type == R.PUBLISH]
    return any(p.payload == payload for p in got)


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_sighup_new_user_can_connect_and_connected_clients_stay(broker, tmp_path, raw_login,
                                                                  version):
    files = AuthFiles(tmp_path, {"user1": "pw-one"})
    b = broker(conf=files.conf(acl=False))
    assert connack_code(b, "user2", "pw-two", version) == REFUSED[version]
    connected = raw_login(b, "user1", "pw-one", version)

    files.add_user("user2", "pw-two")
    reload(b)
    wait_accepted(b, "user2", "pw-two", version)
    assert connected.is_open(0.3)
    assert round_trip(connected, unique_topic("still"))
    assert connack_code(b, "user1", "pw-one", version) == 0
    assert b.alive()


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_sighup_removed_user_is_refused_and_disconnected(broker, tmp_path, raw_login, version):
    files = AuthFiles(tmp_path, {"stays": "pw-stays", "goes": "pw-goes"})
    b = broker(conf=files.conf(acl=False))
    staying = raw_login(b, "stays", "pw-stays", version)
    going = raw_login(b, "goes", "pw-goes", version)

    files.remove_user("goes")
    reload(b)
    wait_refused(b, "goes", "pw-goes", version)
    going.wait_closed(5)
    assert staying.is_open(0.3)
    assert round_trip(staying, unique_topic("still"))


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_sighup_changed_password_takes_effect(broker, tmp_path, version):
    files = AuthFiles(tmp_path, {"user1": "old-pw"})
    b = broker(conf=files.conf(acl=False))
    files.add_user("user1", "new-pw")
    reload(b)
    wait_accepted(b, "user1", "new-pw", version)
    assert connack_code(b, "user1", "old-pw", version) == REFUSED[version]


@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_sighup_acl_change_applies_to_connected_client(broker, tmp_path, raw_login, version):
    files = AuthFiles(tmp_path, {"user1": "pw-one", "user2": "pw-two"})
    everything = "user user2\ntopic readwrite #\n"
    files.write_acl("""
        user user1
        topic readwrite t/#
        topic read in/#
        topic write out/#
    """ + everything)
    b = broker(conf=files.conf())
    u1 = raw_login(b, "user1", "pw-one", version)  # stays connected throughout
    u1_sub = raw_login(b, "user1", "pw-one", version)
    u1_sub.subscribe([("in/#", 1)])
    observer = raw_login(b, "user2", "pw-two")
    observer.subscribe([("t/#", 1), ("out/#", 1)])
    user2 = raw_login(b, "user2", "pw-two")

    assert u1.publish("t/x", b"before", qos=1).rc == 0
    assert messages_until(observer, "before") == []
    user2.publish("in/a", b"in-before", qos=1)
    assert messages_until(u1_sub, "in-before") == []

    files.write_acl("""
        user user1
        topic read t/#
        topic read in/ok
        topic write out/#
    """ + everything)
    reload(b)
    files.wait_applied(b)

    # Write on t/# revoked: the same connection is now refused.
    assert u1.publish("t/x", b"after", qos=1).rc == (0x87 if version == R.V5 else 0)
    assert u1.publish("out/x", b"sentinel", qos=1).rc == 0
    assert messages_until(observer, "sentinel") == []
    # Read on in/a revoked: the existing subscription no longer delivers it.
    user2.publish("in/a", b"in-after", qos=1)
    user2.publish("in/ok", b"in-sentinel", qos=1)
    assert messages_until(u1_sub, "in-sentinel") == []
    assert u1.is_open(0.1) and u1_sub.is_open(0.1)


def test_sighup_unreadable_password_file_leaves_broker_running(broker, tmp_path, raw_login):
    # Mosquitto then refuses everyone ("Error: Unable to open pwfile"), Roost keeps the
    # old users (roost_only test below); both must keep running and recover on the next
    # SIGHUP with a good file.
    files = AuthFiles(tmp_path, {"user1": "pw-one"})
    b = broker(conf=files.conf(acl=False))
    moved = files.passwd.with_name("passwd.moved")
    files.passwd.rename(moved)
    reload(b)
    time.sleep(SETTLE)
    assert b.alive()
    assert connack_code(b, "user1", "pw-one") in (0, 0x87)

    moved.rename(files.passwd)
    files.add_user("user2", "pw-two")
    reload(b)
    wait_accepted(b, "user2", "pw-two")
    assert connack_code(b, "user1", "pw-one") == 0
    assert round_trip(raw_login(b, "user1", "pw-one"), unique_topic("back"))


# Mosquitto 2.0.11 differs: it skips the corrupt line and loads the rest (user1 refused,
# user3 accepted), and with the file missing it refuses every client until the next
# good reload. Roost keeps the settings it had.
@pytest.mark.roost_only
@pytest.mark.parametrize("breakage", ["corrupt-line", "missing"])
def test_sighup_broken_password_file_keeps_previous_users(broker, tmp_path, raw_login,
                                                         breakage):
    files = AuthFiles(tmp_path, {"user1": "pw-one"})
    b = broker(conf=files.conf(acl=False))
    connected = raw_login(b, "user1", "pw-one")
    if breakage == "missing":
        files.passwd.unlink()
    else:
        files.remove_user("user1")
        files.add_user("user3", "pw-three")
        with files.passwd.open("a") as f:
            f.write("this line has no colon\n")
    reload(b)
    time.sleep(SETTLE)
    assert b.alive()
    assert connack_code(b, "user1", "pw-one") == 0
    assert connack_code(b, "user3", "pw-three") == 0x87
    assert connected.is_open(0.1)
    assert round_trip(connected, unique_topic("kept"))
