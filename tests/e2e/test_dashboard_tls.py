"""HTTPS for the dashboard and API (`dashboard_certfile`, `dashboard_keyfile`): the real broker
with certificates made by `openssl` (certs.py), and clients nobody here wrote — Python
`requests` verifying against the test CA, the `ssl` module for the certificate served, and a
plain HTTP request to the HTTPS port. See api_harness.py for the rest of the configuration.
"""

import signal
import socket
import ssl
import subprocess

import pytest
import requests

from api_harness import TIMEOUT, Api, Authed, dashboard_conf
from certs import CertAuthority
from harness import HOST, IS_MOSQUITTO, ROOST_BIN, wait_until

pytestmark = pytest.mark.roost_only

if IS_MOSQUITTO:
    pytest.skip("the dashboard is Roost's", allow_module_level=True)


@pytest.fixture
def ca(tmp_path):
    return CertAuthority(tmp_path / "ca", "Roost Dashboard Test CA")


def https_lines(tmp_path, cert, key):
    """The dashboard configuration with HTTPS; the certificate and key are its last two lines."""
    return dashboard_conf(tmp_path, [f"dashboard_certfile {cert}", f"dashboard_keyfile {key}"])


def https_api(b, ca):
    """An Api that speaks HTTPS to the dashboard and trusts only the test CA."""
    api = Api(b)
    api.base = f"https://{HOST}:{b.ports[1]}"
    api.http.verify = str(ca.cert)
    # Without this, REQUESTS_CA_BUNDLE in the environment would win over `verify` (requests
    # issue 3829) and the test CA would not be consulted.
    api.http.trust_env = False
    return api


def served_certificate(port):
    """The DER certificate the dashboard presents, checked against nothing (Python's ssl)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw, server_hostname=HOST) as tls:
            return tls.getpeercert(binary_form=True)


def run_roost(conf_path, *args):
    return subprocess.run([ROOST_BIN, "broker", "-c", str(conf_path), *args],
                          capture_output=True, text=True, timeout=15,
                          stdin=subprocess.DEVNULL)


def test_login_and_an_api_call_over_https(broker, tmp_path, ca):
    server = ca.server("dashboard")
    b = broker(conf=https_lines(tmp_path, server.cert, server.key))
    api = https_api(b, ca)
    authed = Authed(api, api.first_login())
    stats = authed.json("/api/v5/stats")
    assert isinstance(stats, list) and stats, stats
    r = api.call("GET", "/api/v5/clients")
    assert r.status_code == 401, r.text
    assert f"Dashboard and HTTP API on https://{HOST}:{b.ports[1]}/" in b.log_text()
    assert served_certificate(b.ports[1]) == server.der()


def test_plain_http_to_the_https_port_fails_while_https_keeps_working(broker, tmp_path, ca):
    server = ca.server("dashboard")
    b = broker(conf=https_lines(tmp_path, server.cert, server.key))
    api = https_api(b, ca)
    token = api.first_login()
    # A client that opens a connection and never starts its handshake holds up no one.
    stalled = socket.create_connection((HOST, b.ports[1]), timeout=TIMEOUT)
    try:
        for _ in range(3):
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get(f"http://{HOST}:{b.ports[1]}/status", timeout=TIMEOUT)
            r = api.call("GET", "/api/v5/stats", token)
            assert r.status_code == 200, r.text
    finally:
        stalled.close()
    # A client that does not trust the certificate is refused by its own check.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"https://{HOST}:{b.ports[1]}/status", timeout=TIMEOUT)
    wait_until(lambda: "TLS handshake" in b.log_text(), 5, message="the handshake log line")
    assert b.alive()
    assert api.call("GET", "/api/v5/stats", token).status_code == 200


def test_a_missing_keyfile_stops_the_broker_naming_file_and_line(broker_exits, tmp_path, ca):
    server = ca.server("dashboard")
    missing = tmp_path / "nowhere.key"
    lines = https_lines(tmp_path, server.cert, missing)
    r, b = broker_exits(conf=lines)
    assert r.returncode != 0
    expected = (f"{b.conf_path}:{len(lines)}: dashboard_keyfile '{missing}': cannot read the "
                "file: No such file")
    assert expected in r.stderr, r.stderr
    t = run_roost(b.conf_path, "--test-config")
    assert t.returncode == 1 and expected in t.stderr, t.stderr


def test_a_mismatched_key_stops_the_broker_naming_file_and_line(broker_exits, tmp_path, ca):
    server = ca.server("dashboard")
    other = ca.server("other")
    lines = https_lines(tmp_path, server.cert, other.key)
    r, b = broker_exits(conf=lines)
    assert r.returncode != 0
    expected = (f"{b.conf_path}:{len(lines)}: dashboard_keyfile '{other.key}': the key does "
                f"not match the certificate of dashboard_certfile '{server.cert}'")
    assert expected in r.stderr, r.stderr
    t = run_roost(b.conf_path, "--test-config")
    assert t.returncode == 1 and expected in t.stderr, t.stderr


def test_a_certfile_without_keyfile_is_refused_at_its_line(broker_exits, tmp_path, ca):
    server = ca.server("dashboard")
    lines = dashboard_conf(tmp_path, [f"dashboard_certfile {server.cert}"])
    r, b = broker_exits(conf=lines)
    assert r.returncode != 0
    assert (f"{b.conf_path}:{len(lines)}: 'dashboard_certfile' needs a 'dashboard_keyfile'"
            in r.stderr), r.stderr


def test_sighup_serves_the_new_certificate_and_a_broken_one_keeps_it(broker, tmp_path, ca):
    first = ca.server("first")
    second = ca.server("second")
    live_cert, live_key = tmp_path / "live.crt", tmp_path / "live.key"
    live_cert.write_bytes(first.cert.read_bytes())
    live_key.write_bytes(first.key.read_bytes())
    b = broker(conf=https_lines(tmp_path, live_cert, live_key))
    port = b.ports[1]
    assert served_certificate(port) == first.der()
    api = https_api(b, ca)
    token = api.first_login()

    live_key.write_bytes(second.key.read_bytes())
    live_cert.write_bytes(second.cert.read_bytes())
    b.send_signal(signal.SIGHUP)
    wait_until(lambda: served_certificate(port) == second.der(), 10,
               message="the new certificate served")
    assert "Reloaded the dashboard's TLS certificate and key." in b.log_text()
    assert api.call("GET", "/api/v5/stats", token).status_code == 200

    live_cert.write_text("not a certificate\n")
    b.send_signal(signal.SIGHUP)
    wait_until(lambda: "Keeping the dashboard's running TLS certificate" in b.log_text(), 10,
               message="the line that keeps the running certificate")
    assert "dashboard_certfile" in b.log_text().split("Keeping the dashboard's running")[1]
    assert served_certificate(port) == second.der()
    assert api.call("GET", "/api/v5/stats", token).status_code == 200
