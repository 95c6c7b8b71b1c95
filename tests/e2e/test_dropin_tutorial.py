"""The "install and secure Mosquitto" tutorial, word for word, with the real clients.

A password file made by `mosquitto_passwd -c -b passwd sammy PASS`, a configuration of
`listener PORT` (here on 127.0.0.1) + `allow_anonymous false` + `password_file passwd`,
and the tutorial's own `mosquitto_sub` / `mosquitto_pub` commands with `-h localhost`.
What the clients print and the exit codes they return are what Mosquitto 2.0.11 makes
them print and return; they depend only on the CONNACK the broker sends.
"""

import subprocess
import threading
import time

import pytest

from harness import CLI_VERSIONS, mosquitto_passwd

PASS = "tutorial-Passw0rd"
TIMEOUT = 15

# mosquitto_sub / mosquitto_pub stderr and exit code for a refused CONNECT, as Mosquitto
# 2.0.11 answers it: 3.1.1 CONNACK return code 5, MQTT 5 reason code 0x87 Not authorized
# (not 0x86 Bad User Name or Password, for a wrong password as well as for none).
REFUSED_SUB = {
    "mqttv311": (5, "Connection error: Connection Refused: not authorised.\n"),
    "mqttv5": (135, "Connection error: Not authorized\n"),
}
REFUSED_PUB = {
    "mqttv311": (5, "Connection error: Connection Refused: not authorised.\n"
                    "Error: The connection was refused.\n"),
    "mqttv5": (135, "Connection error: Not authorized\n"
                    "Error: A network protocol error occurred when communicating with the "
                    "broker.\n"),
}


def _version_args(version):
    # The tutorial gives no -V (3.1.1); the MQTT 5 run adds `-V mqttv5`.
    return [] if version == "mqttv311" else ["-V", version]


def tutorial_broker(broker, tmp_path):
    mosquitto_passwd(tmp_path / "passwd", "sammy", PASS, create=True)
    return broker(conf=["listener {port} 127.0.0.1",
                        "allow_anonymous false",
                        "password_file passwd"], workdir=tmp_path)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL)


def sub_cmd(b, version, *creds):
    return ["mosquitto_sub", "-h", "localhost", "-p", str(b.port), "-t", "test",
            *creds, *_version_args(version)]


def pub_cmd(b, version, *creds):
    return ["mosquitto_pub", "-h", "localhost", "-p", str(b.port), "-t", "test",
            "-m", "hello world", *creds, *_version_args(version)]


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_tutorial_sub_without_credentials_is_not_authorised(broker, tmp_path, version):
    b = tutorial_broker(broker, tmp_path)
    r = run(sub_cmd(b, version))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_SUB[version], "")


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_tutorial_pub_without_credentials_is_not_authorised(broker, tmp_path, version):
    b = tutorial_broker(broker, tmp_path)
    r = run(pub_cmd(b, version))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_PUB[version], "")


@pytest.mark.parametrize("creds", [["-u", "sammy", "-P", "wrong-" + PASS],
                                   ["-u", "nobody", "-P", PASS],
                                   ["-u", "sammy"]],
                         ids=["wrong-password", "unknown-user", "no-password"])
@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_tutorial_bad_credentials_are_not_authorised(broker, tmp_path, version, creds):
    b = tutorial_broker(broker, tmp_path)
    r = run(sub_cmd(b, version, *creds))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_SUB[version], "")
    r = run(pub_cmd(b, version, *creds))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_PUB[version], "")


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_tutorial_sammy_receives_hello_world(broker, tmp_path, version):
    b = tutorial_broker(broker, tmp_path)
    creds = ["-u", "sammy", "-P", PASS]
    # stdbuf: mosquitto_sub's stdout is block-buffered into a pipe otherwise.
    sub = subprocess.Popen(["stdbuf", "-oL", *sub_cmd(b, version, *creds)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           stdin=subprocess.DEVNULL)
    first = []
    reader = threading.Thread(target=lambda: first.append(sub.stdout.readline()), daemon=True)
    reader.start()
    try:
        # mosquitto_sub prints nothing before a message arrives, so publish with the
        # tutorial's command until its first line shows up.
        deadline = time.monotonic() + TIMEOUT
        while reader.is_alive() and time.monotonic() < deadline:
            r = run(pub_cmd(b, version, *creds))
            assert (r.returncode, r.stderr, r.stdout) == (0, "", "")
            reader.join(0.3)
        assert first == ["hello world\n"], f"mosquitto_sub printed {first!r}"
        assert sub.poll() is None, f"mosquitto_sub exited: {sub.stderr.read()}"
    finally:
        sub.kill()
        sub.wait(5)


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_listener_without_allow_anonymous_refuses_anonymous_clients(broker, version):
    # Mosquitto 2 default: a configuration with a `listener` and no `allow_anonymous`
    # (and no password file) refuses every client, with or without a username.
    b = broker(conf=["listener {port} 127.0.0.1"])
    r = run(sub_cmd(b, version))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_SUB[version], "")
    r = run(sub_cmd(b, version, "-u", "someone", "-P", "anything"))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_SUB[version], "")
    r = run(pub_cmd(b, version))
    assert (r.returncode, r.stderr, r.stdout) == (*REFUSED_PUB[version], "")
    assert b.alive()
