"""A mosquitto.conf the broker cannot honour stops it at start, saying where and why.

On both brokers: a non-zero exit and output naming the file and line (Mosquitto 2.0.11
prints `Error: Unknown configuration variable "alow_anonymous".` then
`Error found at FILE:LINE.`, exit 3; for a password file it cannot open
`Error: Unable to open pwfile "PATH".`, exit 13).

Roost's own wording, `--test-config`, bridges and corrupt password files are
roost_only and run `ROOST_BIN broker` directly: Mosquitto has no `--test-config`,
supports bridges, and skips a corrupt password-file line ("Error: Invalid password hash
for user ..., removing entry.", or nothing at all for a line without a colon) and starts.
"""

import subprocess

import pytest

from harness import HOST, ROOST_BIN, free_port, mosquitto_passwd

TIMEOUT = 10


def line_of(path, text):
    """1-based number of the line of `path` that is `text`."""
    return path.read_text().splitlines().index(text) + 1


def output(r):
    return r.stdout + r.stderr


# ---------------------------------------------------------------- both brokers

def test_unknown_directive_stops_the_broker_naming_file_and_line(broker_exits):
    r, b = broker_exits(alow_anonymous=True)
    assert r.returncode != 0
    assert "alow_anonymous" in output(r)
    assert f"{b.conf_path}:{line_of(b.conf_path, 'alow_anonymous true')}" in output(r)


def test_bad_value_stops_the_broker_naming_directive_value_and_line(broker_exits):
    r, b = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous maybe"])
    assert r.returncode != 0
    text = output(r)
    assert "allow_anonymous" in text and "maybe" in text
    assert f"{b.conf_path}:{line_of(b.conf_path, 'allow_anonymous maybe')}" in text


@pytest.mark.parametrize("directive", ["password_file", "acl_file"])
def test_missing_security_file_stops_the_broker_naming_it(broker_exits, tmp_path, directive):
    missing = tmp_path / f"no-such-{directive}"
    r, _ = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous false",
                              f"{directive} {missing}"])
    assert r.returncode != 0
    assert str(missing) in output(r)


# ---------------------------------------------------------------- Roost's wording

def roost_broker(tmp_path, lines, *args):
    """Write `lines` (after a listener on a free port) to roost.conf and run
    `ROOST_BIN broker [args] -c roost.conf`; returns (CompletedProcess, conf path)."""
    conf = tmp_path / "roost.conf"
    conf.write_text("\n".join([f"listener {free_port()} {HOST}", *lines]) + "\n")
    cmd = [ROOST_BIN, "broker", *args, "-c", str(conf)]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                           stdin=subprocess.DEVNULL, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{cmd} still running after {TIMEOUT}s") from None
    return r, conf


@pytest.mark.roost_only
def test_unknown_option_suggests_the_right_one(tmp_path):
    r, conf = roost_broker(tmp_path, ["alow_anonymous true"])
    assert r.returncode != 0
    assert (f"{conf}:2: unknown option 'alow_anonymous' (did you mean 'allow_anonymous'?)"
            in r.stderr), r.stderr


@pytest.mark.roost_only
def test_bridge_connection_is_not_supported_yet(tmp_path):
    r, conf = roost_broker(tmp_path, ["allow_anonymous true", "connection mybridge",
                                      "address 127.0.0.1:1884", "topic # both 0"])
    assert r.returncode != 0
    assert "'connection' (bridges) is not supported yet" in r.stderr, r.stderr
    assert f"{conf}:3:" in r.stderr, r.stderr


@pytest.mark.roost_only
def test_bad_value_names_what_would_be_valid(tmp_path):
    r, conf = roost_broker(tmp_path, ["allow_anonymous maybe"])
    assert r.returncode != 0
    line = next((ln for ln in r.stderr.splitlines() if f"{conf}:2:" in ln), None)
    assert line is not None, r.stderr
    for word in ("allow_anonymous", "maybe", "true", "false"):
        assert word in line, line


@pytest.mark.roost_only
def test_missing_password_file_is_named(tmp_path):
    missing = tmp_path / "no-such-passwd"
    r, _ = roost_broker(tmp_path, ["allow_anonymous false", f"password_file {missing}"])
    assert r.returncode != 0
    assert str(missing) in r.stderr, r.stderr


@pytest.mark.roost_only
def test_corrupt_password_file_line_is_named(tmp_path):
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "user1", "pw-one", create=True)
    with path.open("a") as f:
        f.write("this line has no colon\n")
    r, _ = roost_broker(tmp_path, ["allow_anonymous false", f"password_file {path}"])
    assert r.returncode != 0
    assert f"{path}:2:" in r.stderr, r.stderr


@pytest.mark.roost_only
@pytest.mark.parametrize("lines,code", [
    (["allow_anonymous true"], 0),
    (["alow_anonymous true"], 1),
    (["allow_anonymous maybe"], 1),
    (["connection mybridge", "address 127.0.0.1:1884"], 1),
], ids=["valid", "unknown-option", "bad-value", "bridge"])
def test_test_config_exit_code(tmp_path, lines, code):
    r, _ = roost_broker(tmp_path, lines, "--test-config")
    assert r.returncode == code, output(r)


@pytest.mark.roost_only
def test_test_config_checks_the_password_file(tmp_path):
    path = tmp_path / "passwd"
    mosquitto_passwd(path, "user1", "pw-one", create=True)
    r, _ = roost_broker(tmp_path, ["allow_anonymous false", f"password_file {path}"],
                        "--test-config")
    assert r.returncode == 0, output(r)
    path.write_text(path.read_text() + "this line has no colon\n")
    r, _ = roost_broker(tmp_path, ["allow_anonymous false", f"password_file {path}"],
                        "--test-config")
    assert r.returncode == 1, output(r)
    assert f"{path}:2:" in output(r)
