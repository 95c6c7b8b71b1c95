"""Log lines a Mosquitto user's fail2ban rule and log greps depend on, around
authentication.

Mosquitto 2.0.11 logs a refused CONNECT as two lines, the second naming no client id
whatever the client sent (it has not been accepted yet):

    1700000000: New connection from 127.0.0.1:50000 on port 1883.
    1700000000: Client <unknown> disconnected, not authorised.

A fail2ban filter takes <HOST> from the first line and the verdict from the next one
(a multi-line failregex: `New connection from <HOST>:` ... newline ... `Client <unknown>
disconnected, not authorised.`), so both lines, adjacent and in this order, are what
Roost must print.
"""

import re
import time

import pytest

import rawmqtt as R
from harness import mosquitto_passwd, unique_id, wait_until

PASS = "log-Passw0rd"
REFUSED = {R.V311: 5, R.V5: 0x87}
VERSIONS = [R.V311, R.V5]
IDS = ["v311", "v5"]


def secured_broker(broker, tmp_path):
    mosquitto_passwd(tmp_path / "passwd", "sammy", PASS, create=True)
    return broker(conf=["listener {port} 127.0.0.1",
                        "allow_anonymous false",
                        f"password_file {tmp_path / 'passwd'}"])


def wait_log_quiet(b, quiet=0.3, timeout=5.0):
    """Wait until the log has not grown for `quiet` s, so that the lines of the harness's
    readiness probe (a bare TCP connect) do not interleave with the test's own."""
    deadline = time.monotonic() + timeout
    last, since = b.log_text(), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, f"broker log still growing after {timeout}s"
        time.sleep(0.05)
        text = b.log_text()
        if text != last:
            last, since = text, time.monotonic()


def wait_log(b, pattern, timeout=5.0):
    rx = re.compile(pattern, re.M)
    return wait_until(lambda: rx.search(b.log_text()), timeout,
                      message=f"log /{pattern}/ in:\n{b.log_text()[-3000:]}")


@pytest.mark.parametrize("creds", [{}, {"username": "sammy", "password": "wrong"},
                                   {"username": "nobody", "password": PASS},
                                   {"username": "sammy"}],
                         ids=["anonymous", "wrong-password", "unknown-user", "no-password"])
@pytest.mark.parametrize("version", VERSIONS, ids=IDS)
def test_refused_connection_logs_client_unknown_disconnected_not_authorised(
        broker, tmp_path, raw, version, creds):
    b = secured_broker(broker, tmp_path)
    wait_log_quiet(b)
    r = raw(b, version)
    local_port = r.sock.getsockname()[1]
    assert r.connect(unique_id("f2b"), **creds).rc == REFUSED[version]
    r.wait_closed(5)
    wait_log(b, rf"^[^\n]*New connection from 127\.0\.0\.1:{local_port} on port {b.port}\.\n"
                rf"[^\n]*Client <unknown> disconnected, not authorised\.$")


def test_each_refused_attempt_is_logged_once(broker, tmp_path, raw):
    # fail2ban counts matches against maxretry: three attempts, three matches.
    b = secured_broker(broker, tmp_path)
    ports = []
    for _ in range(3):
        wait_log_quiet(b)
        r = raw(b, R.V311)
        ports.append(r.sock.getsockname()[1])
        assert r.connect(unique_id("f2b"), username="sammy", password="wrong").rc == 5
        r.wait_closed(5)
    for port in ports:
        wait_log(b, rf"New connection from 127\.0\.0\.1:{port} on port {b.port}\.\n"
                    r"[^\n]*Client <unknown> disconnected, not authorised\.")
    assert b.log_text().count("Client <unknown> disconnected, not authorised.") == 3


@pytest.mark.parametrize("version,flags", [(R.V311, "p2, c1, k60"), (R.V5, "p5, c1, k60")],
                         ids=IDS)
def test_accepted_connection_log_line_names_the_user(broker, tmp_path, raw, version, flags):
    b = secured_broker(broker, tmp_path)
    r = raw(b, version)
    local_port = r.sock.getsockname()[1]
    cid = unique_id("logged")
    assert r.connect(cid, username="sammy", password=PASS).rc == 0
    wait_log(b, re.escape(f"New client connected from 127.0.0.1:{local_port} as {cid} "
                          f"({flags}, u'sammy')."))
    assert "not authorised" not in b.log_text()
