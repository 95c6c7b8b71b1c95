"""A store Roost cannot use: held by another broker, damaged, a Mosquitto database, a
`persistence_location` that is not a directory: a non-zero exit with a message naming the
path and the cause, the file left as it was; `--move-damaged-store` moves a damaged one
aside. And a disk that fills up while the broker runs: MQTT 5 publishers get 0x97 (quota
exceeded) instead of a false acknowledgement, QoS 0 still flows, and once there is room
again QoS 1 is acknowledged and every message acknowledged before is still delivered.

All `roost_only`: Mosquitto does not lock its database, has no `--move-damaged-store`, and
only writes its database at shutdown.
"""

import errno
import os
import re
import signal
import socket
import subprocess
import time

import pytest

import rawmqtt as R
from harness import HOST, Broker, free_port, mosquitto_pub, unique_id, unique_topic, \
    wait_until
from restart import restart

pytestmark = [pytest.mark.roost_only, pytest.mark.timeout(60)]

STORE = "roost.db"


def _output(proc):
    return (proc.stdout or "") + (proc.stderr or "")


def _refused(proc, path, cause):
    """`proc` (a broker that exited) failed with a message naming `path` and matching the
    regular expression `cause` outside the path itself."""
    text = _output(proc)
    assert proc.returncode != 0, f"the broker exited 0 on a bad store:\n{text}"
    assert str(path) in text, f"the message does not name {path}:\n{text}"
    rest = text.replace(str(path), "<path>")
    assert re.search(cause, rest, re.I), f"the message does not say /{cause}/:\n{text}"
    assert "panicked" not in text, text
    return text


class FlaggedBroker(Broker):
    """A broker started with extra command-line arguments."""

    def __init__(self, workdir, directives, args):
        super().__init__(workdir, directives)
        self.args = list(args)

    def command(self):
        return super().command() + self.args


def test_second_broker_on_the_same_store_is_refused(broker, broker_exits, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    first = broker(persistence_location=shared)
    second, _ = broker_exits(persistence_location=shared)
    _refused(second, shared / STORE, r"another|held|lock|in use|busy")
    assert first.alive() and first.accepts_clients()


def test_damaged_store_refused_then_moved_aside_on_request(broker, broker_exits, raw,
                                                           tmp_path):
    place = tmp_path / "damaged"
    place.mkdir()
    garbage = os.urandom(256 * 1024)
    (place / STORE).write_bytes(garbage)
    proc, _ = broker_exits(persistence_location=place)
    _refused(proc, place / STORE, r"--move-damaged-store")
    assert (place / STORE).read_bytes() == garbage, "the damaged store was changed"

    b = FlaggedBroker(tmp_path / "mover", {"persistence_location": place},
                      ["--move-damaged-store"])
    try:
        b.start()
        moved = list(place.glob(f"{STORE}.damaged-*"))
        assert len(moved) == 1, f"in {place}: {sorted(p.name for p in place.iterdir())}"
        assert re.fullmatch(rf"{re.escape(STORE)}\.damaged-\d+", moved[0].name)
        secs = int(moved[0].name.rsplit("-", 1)[1])
        assert abs(secs - time.time()) < 600, f"{moved[0].name}: not the time it was moved"
        assert moved[0].read_bytes() == garbage
        assert b.accepts_clients()
        topic = unique_topic("fresh")
        mosquitto_pub(b, topic, "in the new store", qos=1, retain=True)
        b.args = []  # the new store is sound: no flag needed, nothing more moved
        restart(b, "kill")
        r = raw(b, R.V311)
        r.connect(unique_id())
        r.subscribe([(topic, 1)])
        assert r.receive_message(5).payload == b"in the new store"
        assert len(list(place.glob(f"{STORE}.damaged-*"))) == 1
    finally:
        b.kill()


def _mosquitto_database(directory):
    """Make `directory`/mosquitto.db with the real mosquitto (persistence true, a retained
    message, SIGTERM)."""
    port = free_port()
    conf = directory / "mosquitto.conf"
    lines = [f"listener {port} {HOST}", "allow_anonymous true", "persistence true",
             f"persistence_location {directory}/"]
    if os.geteuid() == 0:
        lines.insert(0, "user root")
    conf.write_text("\n".join(lines) + "\n")
    log = open(directory / "mosquitto.log", "wb")
    proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    try:
        def accepting():
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return True
            except OSError:
                return False
        wait_until(accepting, 10, interval=0.05, message="mosquitto listening")
        subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(port), "-t",
                        "kept/by/mosquitto", "-m", "retained", "-r", "-q", "1"],
                       check=True, timeout=10)
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    db = directory / "mosquitto.db"
    log_text = (directory / "mosquitto.log").read_text()
    assert db.exists(), f"mosquitto wrote no database; its log:\n{log_text}"
    return db


def test_mosquitto_database_refused(broker_exits, tmp_path):
    place = tmp_path / "from-mosquitto"
    place.mkdir()
    db = _mosquitto_database(place)
    before = db.read_bytes()
    proc, _ = broker_exits(persistence_location=place, persistence_file="mosquitto.db")
    _refused(proc, db, r"mosquitto")
    assert db.read_bytes() == before, "the Mosquitto database was changed"


def test_persistence_location_that_is_a_file_refused(broker_exits, tmp_path):
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("I am a file\n")
    proc, _ = broker_exits(persistence_location=not_a_dir)
    _refused(proc, not_a_dir, r"not a directory|directory")
    assert not_a_dir.read_text() == "I am a file\n"


# ---------------------------------------------------------------- disk full

@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB tmpfs mounted for this test (skipped where mount is not allowed)."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)],
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=20)


def _fill(path, spare=0):
    """Write `path` until the file system is full, then give back `spare` bytes."""
    chunk = b"\0" * 65536
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            try:
                written += os.write(fd, chunk)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[:len(chunk) // 2]
        os.ftruncate(fd, max(0, written - spare))
    finally:
        os.close(fd)


def _resume(raw, b, cid):
    r = raw(b, R.V5)
    ack = r.connect(cid, clean=False, props={"SessionExpiryInterval": 300})
    assert ack.rc == 0
    return r, ack


@pytest.mark.timeout(90)
def test_disk_full_answers_quota_exceeded_and_recovers(small_disk, broker, raw):
    b = broker(persistence_location=small_disk, max_queued_messages=100000)
    topic, live = unique_topic("full"), unique_topic("live")
    keeper = unique_id("keeper")
    k, _ = _resume(raw, b, keeper)
    k.subscribe([(topic, 1)])
    k.disconnect()
    watcher = raw(b, R.V5)
    watcher.connect(unique_id("watcher"))
    watcher.subscribe([(live, 0)])

    filler = small_disk / "filler"
    _fill(filler, spare=3 << 20)  # room for some messages: the disk fills mid-stream
    payload = b"x" * 32768
    acked, refused, how = [], [], None
    pub = raw(b, R.V5, timeout=15)
    pub.connect(unique_id("pub"))
    for i in range(2000):  # 64 MiB: far more than the 24 MiB disk
        pid = pub.pid()
        try:
            pub.send(R.publish(topic, b"%d:" % i + payload, qos=1, pid=pid, version=R.V5))
            p = pub.read(15)
        except (R.Closed, OSError):
            how = "closed without DISCONNECT"
            break
        if p.type == R.DISCONNECT:
            how = f"DISCONNECT 0x{p.rc:02x}"
            assert p.rc == 0x97, f"disk full: {p!r}"
            break
        assert p.type == R.PUBACK and p.pid == pid, f"unexpected {p!r}"
        if p.rc == 0:
            acked.append(i)
        else:
            how = f"PUBACK 0x{p.rc:02x}"
            assert p.rc == 0x97, f"disk full: PUBACK {p!r}"
            refused.append(i)
            break
    print(f"disk full: {len(acked)} acknowledged, then {how}")
    assert how is not None, "2000 messages of 32 KiB acknowledged on a full 24 MiB disk"
    assert acked, "nothing acknowledged with 3 MiB free"
    assert how != "closed without DISCONNECT", "an MQTT 5 publisher got no reason code"

    # An MQTT 3.1.1 publisher has no reason codes: it is disconnected instead of acked.
    v3 = raw(b, R.V311, timeout=15)
    v3.connect(unique_id("pub3"))
    for i in range(5000, 5200):
        pid = v3.pid()
        try:
            v3.send(R.publish(topic, b"%d:" % i + payload, qos=1, pid=pid))
            p = v3.read(15)
        except (R.Closed, OSError):
            break
        assert p.type == R.PUBACK and p.pid == pid, f"unexpected {p!r}"
        acked.append(i)
    else:
        raise AssertionError("a v3.1.1 publisher was acknowledged 200 messages on a full disk")
    print(f"disk full: the v3.1.1 publisher was disconnected after {i - 5000} acknowledged")

    # QoS 0 still flows while the disk is full.
    sender = raw(b, R.V5)
    sender.connect(unique_id("qos0"))
    sender.publish(live, b"still serving", qos=0)
    got = watcher.expect(R.PUBLISH, 5)
    assert (got.topic, got.payload) == (live, b"still serving")

    # Room again: QoS 1 is acknowledged again (on a new connection if it was closed).
    filler.unlink()

    def acknowledged_again():
        r = raw(b, R.V5)
        r.connect(unique_id("again"))
        try:
            ack = r.publish(topic, b"after:" + payload, qos=1)
            return ack.rc == 0
        except (R.Closed, R.Timeout, OSError):
            return False
        finally:
            r.close()
    wait_until(acknowledged_again, 15, interval=0.5, message="QoS 1 acknowledged again")

    # Nothing acknowledged was lost: all of it reaches the offline session, after a crash.
    restart(b, "kill")
    k2, ack = _resume(raw, b, keeper)
    assert ack.session_present
    delivered = set()
    while True:
        try:
            m = k2.receive_message(5)
        except R.Timeout:
            break
        head = m.payload.split(b":", 1)[0]
        if head.isdigit():
            delivered.add(int(head))
        elif head == b"after":
            break
    lost = sorted(set(acked) - delivered)
    assert not lost, f"{len(lost)} acknowledged messages lost: {lost[:10]}"
