"""`roost pub` and `roost sub` against the broker under test (Roost, or Mosquitto with
E2E_BROKER=mosquitto): the same words, output and exit codes as mosquitto_pub/mosquitto_sub."""

import os
import subprocess
import time

import pytest

from harness import HOST, ROOST_BIN, unique_topic

VERSIONS = ["mqttv311", "mqttv5"]

pytestmark = pytest.mark.skipif(not os.access(ROOST_BIN, os.X_OK), reason="no roost binary")


def roost(*args, **kw):
    return subprocess.run([ROOST_BIN, *args], capture_output=True, text=True, timeout=20,
                          stdin=subprocess.DEVNULL, **kw)


def start_sub(tool, b, *args):
    """Starts `tool sub ...` and returns once its SUBACK arrived (read from the -d trace)."""
    cmd = [ROOST_BIN, "sub"] if tool == "roost" else ["stdbuf", "-oL", "mosquitto_sub"]
    p = subprocess.Popen([*cmd, "-h", HOST, "-p", str(b.port), "-d", *args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if "received SUBACK" in line or not line:
            break
    return p


def payload_lines(out):
    """What a subscriber printed, without its -d trace."""
    return [ln for ln in out.splitlines() if not ln.startswith("Client ") and
            not ln.startswith("Subscribed (mid")]


@pytest.mark.parametrize("version", VERSIONS)
def test_roost_pub_to_roost_sub(broker, version):
    b = broker()
    topic = unique_topic("rc")
    sub = start_sub("roost", b, "-V", version, "-t", topic, "-v", "-C", "2", "-W", "15")
    for message in ("hello world", "second"):
        r = roost("pub", "-h", HOST, "-p", str(b.port), "-V", version, "-q", "1",
                  "-t", topic, "-m", message)
        assert r.returncode == 0, r.stderr
    out, _ = sub.communicate(timeout=15)
    assert sub.returncode == 0
    assert payload_lines(out) == [f"{topic} hello world", f"{topic} second"]


@pytest.mark.parametrize("version", VERSIONS)
def test_roost_sub_format_matches_mosquitto_sub_byte_for_byte(broker, version):
    b = broker()
    topic = unique_topic("fmt")
    fmt = r"%t|%p|%q|%r|%l|%x|\t%%|%m"
    args = ("-V", version, "-t", f"{topic}/#", "-F", fmt, "-C", "3", "-W", "15")
    ours = start_sub("roost", b, *args)
    theirs = start_sub("mosquitto", b, *args)
    for i, (qos, retain, text) in enumerate([(0, False, "plain"), (1, True, "kept"),
                                             (2, False, "")]):
        extra = ["-r"] if retain else []
        body = ["-m", text] if text else ["-n"]
        r = roost("pub", "-h", HOST, "-p", str(b.port), "-V", version, "-q", str(qos),
                  "-t", f"{topic}/{i}", *body, *extra)
        assert r.returncode == 0, r.stderr
    out_ours, _ = ours.communicate(timeout=15)
    out_theirs, _ = theirs.communicate(timeout=15)
    assert payload_lines(out_ours) == payload_lines(out_theirs)
    assert len(payload_lines(out_ours)) == 3


@pytest.mark.parametrize("version,code", [("mqttv311", 5), ("mqttv5", 135)])
def test_roost_pub_refused_like_mosquitto_pub(broker, version, code):
    b = broker(conf=["listener {port} 127.0.0.1"])  # Mosquitto 2: anonymous refused
    ours = roost("pub", "-h", HOST, "-p", str(b.port), "-V", version, "-t", "t", "-m", "x")
    theirs = subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(b.port), "-V", version,
                             "-t", "t", "-m", "x"], capture_output=True, text=True, timeout=20)
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)
    assert ours.returncode == code


def test_roost_sub_timeout_exits_27_like_mosquitto_sub(broker):
    b = broker()
    ours = roost("sub", "-h", HOST, "-p", str(b.port), "-t", unique_topic("quiet"), "-W", "1")
    theirs = subprocess.run(["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t",
                             unique_topic("quiet"), "-W", "1"],
                            capture_output=True, text=True, timeout=20)
    assert (ours.returncode, ours.stdout, ours.stderr) == (27, theirs.stdout, theirs.stderr)
    assert theirs.returncode == 27
