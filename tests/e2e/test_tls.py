"""TLS and mutual-TLS listeners, as a Mosquitto user sets them up: `certfile`/`keyfile`,
`cafile`, `require_certificate`, `use_identity_as_username`, `use_subject_as_username`,
`crlfile`, `tls_version` and the cipher lists — with mosquitto_pub/mosquitto_sub (`--cafile`,
`--cert`, `--key`), paho-mqtt's `tls_set` and Python's own `ssl`. The certificates are made
in a fixture by the `openssl` command (certs.py).

Every refused client (expired, revoked, from another CA, plain MQTT on the TLS port, a TCP
connection that never says hello) must cost only its own connection: two TLS clients keep
exchanging QoS 1 messages meanwhile and lose none (`Traffic`).

Mosquitto 2.0.11 agrees on what is accepted and refused. roost_only: Roost's log lines, its
handshake timeout (Mosquitto keeps a silent connection open), its start-up errors, and a
broken certificate on SIGHUP (Mosquitto logs an error and keeps the old one as Roost does, but
in other words).
"""

import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

import rawmqtt as R
from certs import CertAuthority, key_as, openssl, subject_rfc2253
from harness import (HOST, IS_MOSQUITTO, ROOST_BIN, V5, V311, Traffic, mosquitto_passwd,
                     mosquitto_pub, unique_topic, wait_until)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA with a server certificate and client certificates (good, expired, revoked + the
    CRL), and a second CA whose client certificate the broker must not trust."""
    root = tmp_path_factory.mktemp("pki")

    class Pki:
        ca = CertAuthority(root / "ca", "Roost Test CA")
        server = ca.server("server")
        alice = ca.client("alice", "/C=GB/O=Roost Tests/CN=alice")
        bob = ca.client("bob")
        expired = ca.client("expired", expired=True)
        revoked = ca.client("revoked")
        other_ca = CertAuthority(root / "other", "Some Other CA")
        stranger = other_ca.client("stranger")

    Pki.ca.revoke(Pki.revoked)
    Pki.crl = Pki.ca.crl()
    return Pki


def tls_lines(pki, *more, server=None):
    """A TLS listener on {port} with the server certificate, then `more` lines."""
    server = server or pki.server
    return ["listener {port} 127.0.0.1", f"certfile {server.cert}", f"keyfile {server.key}",
            *more]


def mtls_lines(pki, *more):
    """A listener that requires a client certificate of the CA, checked against the CRL."""
    return tls_lines(pki, f"cafile {pki.ca.cert}", f"crlfile {pki.crl}",
                     "require_certificate true", *more)


def tls(c, pki, cert=None):
    """Give a paho client (not yet connected) TLS, trusting the test CA, with `cert`."""
    kw = {"ca_certs": str(pki.ca.cert)}
    if cert is not None:
        kw.update(certfile=str(cert.cert), keyfile=str(cert.key))
    c.c.tls_set(**kw)
    return c


def cli_tls(pki, cert=None):
    """mosquitto_pub/_sub options for TLS with `cert`."""
    args = ["--cafile", str(pki.ca.cert)]
    if cert is not None:
        args += ["--cert", str(cert.cert), "--key", str(cert.key)]
    return args


def served_certificate(port, pki):
    """The certificate the broker serves now (DER), by Python's ssl, which verifies it."""
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    with socket.create_connection((HOST, port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.getpeercert(binary_form=True)


def handshake_with(port, pki, **ctx_options):
    """A TLS handshake with an ssl context set as asked; returns the negotiated (cipher,
    version) or raises ssl.SSLError."""
    ctx = ssl.create_default_context(cafile=str(pki.ca.cert))
    for name, value in ctx_options.items():
        if name == "ciphers":
            ctx.set_ciphers(value)
        else:
            setattr(ctx, name, value)
    with socket.create_connection((HOST, port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.cipher()[0], t.version()


def wait_log(b, text, timeout=10.0):
    wait_until(lambda: text in b.log_text(), timeout, interval=0.05, message=repr(text))


@pytest.fixture
def traffic(client):
    """Factory: `traffic(b, pki)` starts two mutual-TLS paho clients (v3.1.1 and v5)
    exchanging QoS 1 messages on b's TLS listener."""
    made = []

    def start(b, pki):
        t = Traffic(b, lambda b2, **kw: tls(client(b2, **kw), pki, pki.alice))
        made.append(t)
        t.wait_sent(5)
        return t

    yield start
    for t in made:
        t._stop.set()


# ---------------------------------------------------------------- serving TLS


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_mosquitto_clients_with_cafile(broker, mosq_sub, pki, version):
    b = broker(conf=tls_lines(pki, "allow_anonymous true"))
    topic = unique_topic("tls")
    sub = mosq_sub(b, topic, version=version, qos=1, extra=cli_tls(pki)).wait_subscribed()
    mosquitto_pub(b, topic, "over tls", version=version, qos=1, extra=cli_tls(pki))
    assert sub.wait_for(1) == [f"1 0 {topic} over tls"]


def test_plain_client_is_not_served_on_the_tls_port(broker, pki):
    b = broker(conf=tls_lines(pki, "allow_anonymous true"))
    r = mosquitto_pub(b, unique_topic(), "plain", check=False, timeout=20)
    assert r.returncode != 0


@pytest.mark.parametrize("version", [V311, V5], ids=["v311", "v5"])
def test_paho_tls_set_round_trip(broker, client, pki, version):
    b = broker(conf=tls_lines(pki, "allow_anonymous true"))
    c = tls(client(b, version=version), pki)
    c.ok()
    topic = unique_topic("paho")
    c.subscribe(topic, qos=2)
    for qos in (0, 1, 2):
        c.publish(topic, f"q{qos}".encode(), qos=qos)
    got = c.wait_for(3)
    assert sorted((m.payload, m.qos) for m in got) == [(b"q0", 0), (b"q1", 1), (b"q2", 2)]


@pytest.mark.roost_only
def test_start_up_line_says_which_listener_is_tls(broker, pki):
    # Mosquitto does not say which listener is TLS.
    b = broker(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                     "listener {port2} 127.0.0.1",
                     f"certfile {pki.server.cert}", f"keyfile {pki.server.key}"])
    wait_log(b, f"Opening ipv4 listen socket on port {b.ports[1]} (TLS).")
    assert f"Opening ipv4 listen socket on port {b.ports[0]}." in b.log_text()


@pytest.mark.parametrize("form", ["pkcs8", "pkcs1", "sec1"])
def test_keys_in_each_pem_form(broker, pki, tmp_path, form):
    server = pki.ca.server(f"server-{form}", key_kind="rsa" if form == "pkcs1" else "ec")
    key = key_as(server, form, tmp_path / f"{form}.key")
    head = key.read_text().splitlines()[0]
    assert head == {"pkcs8": "-----BEGIN PRIVATE KEY-----",
                    "pkcs1": "-----BEGIN RSA PRIVATE KEY-----",
                    "sec1": "-----BEGIN EC PRIVATE KEY-----"}[form]
    b = broker(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                     f"certfile {server.cert}", f"keyfile {key}"])
    assert served_certificate(b.port, pki) == server.der()
    mosquitto_pub(b, unique_topic(), "hi", qos=1, extra=cli_tls(pki))


@pytest.mark.roost_only
def test_an_expired_server_certificate_is_served_with_a_warning(broker, pki):
    # As Mosquitto, the broker starts and serves it; clients refuse it. Mosquitto says nothing.
    old = pki.ca.server("expired-server", expired=True)
    b = broker(conf=tls_lines(pki, "allow_anonymous true", server=old))
    wait_log(b, f"certfile '{old.cert}': the server certificate is valid from Jan  1 00:00:00 "
                "2020 +00:00 to Feb  1 00:00:00 2020 +00:00 only; clients will refuse it")
    r = mosquitto_pub(b, unique_topic(), "x", extra=cli_tls(pki), check=False)
    assert r.returncode != 0


def test_tls_version_13_refuses_a_tls_12_client(broker, pki):
    b = broker(conf=tls_lines(pki, "allow_anonymous true", "tls_version tlsv1.3"))
    assert handshake_with(b.port, pki)[1] == "TLSv1.3"
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake_with(b.port, pki, maximum_version=ssl.TLSVersion.TLSv1_2)


def test_cipher_lists_choose_the_suite(broker, pki):
    b = broker(conf=tls_lines(pki, "allow_anonymous true",
                              "ciphers ECDHE-ECDSA-CHACHA20-POLY1305",
                              "ciphers_tls1.3 TLS_CHACHA20_POLY1305_SHA256"))
    assert handshake_with(b.port, pki) == ("TLS_CHACHA20_POLY1305_SHA256", "TLSv1.3")
    assert handshake_with(b.port, pki, maximum_version=ssl.TLSVersion.TLSv1_2) == (
        "ECDHE-ECDSA-CHACHA20-POLY1305", "TLSv1.2")
    # A TLS 1.2 client offering only a suite the list leaves out is refused.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake_with(b.port, pki, maximum_version=ssl.TLSVersion.TLSv1_2,
                       ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")


# ---------------------------------------------------------------- client certificates


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_mutual_tls_accepts_a_good_certificate_and_refuses_none(broker, mosq_sub, pki,
                                                               version):
    b = broker(conf=mtls_lines(pki, "allow_anonymous true"))
    topic = unique_topic("mtls")
    sub = mosq_sub(b, topic, version=version, qos=1,
                   extra=cli_tls(pki, pki.bob)).wait_subscribed()
    mosquitto_pub(b, topic, "with cert", version=version, qos=1, extra=cli_tls(pki, pki.alice))
    r = mosquitto_pub(b, topic, "without", version=version, qos=1, extra=cli_tls(pki),
                      check=False)
    assert r.returncode != 0
    mosquitto_pub(b, topic, "after", version=version, qos=1, extra=cli_tls(pki, pki.alice))
    assert sub.wait_for(2) == [f"1 0 {topic} with cert", f"1 0 {topic} after"]


def test_capath_directory_of_ca_files(broker, pki, tmp_path):
    # As an administrator prepares it for OpenSSL: the CA files and their hash links.
    capath = tmp_path / "ca.d"
    capath.mkdir()
    shutil.copy(pki.ca.cert, capath / "roost-test-ca.pem")
    (capath / "README").write_text("CA certificates trusted for clients\n")
    openssl("rehash", capath)
    b = broker(conf=tls_lines(pki, "allow_anonymous true", f"capath {capath}",
                              "require_certificate true"))
    mosquitto_pub(b, unique_topic(), "capath", qos=1, extra=cli_tls(pki, pki.alice))
    r = mosquitto_pub(b, unique_topic(), "x", qos=1, extra=cli_tls(pki, pki.stranger),
                      check=False)
    assert r.returncode != 0


@pytest.mark.roost_only
def test_certificate_optional_with_cafile_but_a_presented_one_is_checked(broker, client, pki):
    # require_certificate false: no certificate is fine, a bad one is still refused. Mosquitto
    # 2.0.11 does not ask for a certificate at all then (SSL_VERIFY_NONE), so the stranger's
    # is never sent and it is let in.
    b = broker(conf=tls_lines(pki, "allow_anonymous true", f"cafile {pki.ca.cert}"))
    mosquitto_pub(b, unique_topic(), "no cert", qos=1, extra=cli_tls(pki))
    mosquitto_pub(b, unique_topic(), "good cert", qos=1, extra=cli_tls(pki, pki.alice))
    r = mosquitto_pub(b, unique_topic(), "stranger", qos=1,
                      extra=cli_tls(pki, pki.stranger), check=False)
    assert r.returncode != 0


@pytest.mark.parametrize("bad", ["expired", "stranger", "revoked"])
def test_bad_client_certificates_are_refused_and_others_lose_nothing(broker, traffic, pki,
                                                                     bad):
    b = broker(conf=mtls_lines(pki, "allow_anonymous true"))
    t = traffic(b, pki)
    for _ in range(3):
        r = mosquitto_pub(b, unique_topic(), "x", qos=1, extra=cli_tls(pki, getattr(pki, bad)),
                          check=False)
        assert r.returncode != 0, f"{bad} certificate accepted"
    t.wait_sent(t.sent + 10)
    t.check()
    if not IS_MOSQUITTO:
        why = {"expired": "bad client certificate: certificate expired",
               "stranger": "the client certificate is not signed by a CA of cafile/capath",
               "revoked": "the client certificate is revoked (crlfile)"}[bad]
        wait_log(b, f"failed: TLS handshake: {why}")


def test_plain_mqtt_to_the_tls_port_closes_only_that_connection(broker, traffic, pki):
    b = broker(conf=mtls_lines(pki, "allow_anonymous true"))
    t = traffic(b, pki)
    r = R.RawClient(b.port, HOST, R.V311, 5.0)
    try:
        r.sock.sendall(R.connect("plain-on-tls", version=R.V311))
        r.sock.settimeout(5.0)
        data = b""
        while True:
            try:
                chunk = r.sock.recv(4096)  # a TLS alert, then the close
            except ConnectionResetError:  # Mosquitto resets it
                break
            if not chunk:
                break
            data += chunk
        assert not data.startswith(b"\x20"), "a CONNACK came back over plain MQTT"
    finally:
        r.close()
    t.wait_sent(t.sent + 10)
    t.check()
    if not IS_MOSQUITTO:
        wait_log(b, "failed: TLS handshake: the client does not speak TLS")


@pytest.mark.roost_only
def test_silent_connection_is_closed_by_the_handshake_timeout(broker, traffic, pki):
    # Roost gives a client the connect timeout (10 s) to finish the handshake; Mosquitto
    # 2.0.11 keeps a connection that never sends a ClientHello open.
    b = broker(conf=mtls_lines(pki, "allow_anonymous true"))
    t = traffic(b, pki)
    with socket.create_connection((HOST, b.port), timeout=20) as s:
        started = time.monotonic()
        assert s.recv(1) == b""
        waited = time.monotonic() - started
    assert 8 <= waited <= 15, f"closed after {waited:.1f}s"
    t.check()
    wait_log(b, "failed: TLS handshake: no handshake within 10s.")


# ---------------------------------------------------------------- user names from certificates


def identity_setup(tmp_path, pki, *more):
    acl = tmp_path / "acl"
    acl.write_text("user alice\ntopic readwrite alice/#\n"
                   "user bob\ntopic write #\n"
                   "pattern read users/%u/#\n")
    passwd = tmp_path / "passwd"
    mosquitto_passwd(passwd, "carol", "carol-pw", create=True)
    return mtls_lines(pki, "allow_anonymous false", f"password_file {passwd}",
                      f"acl_file {acl}", "use_identity_as_username true", *more)


@pytest.mark.parametrize("version", [V311, V5], ids=["v311", "v5"])
def test_identity_as_username_feeds_the_acl(broker, client, pki, tmp_path, version):
    b = broker(conf=identity_setup(tmp_path, pki))
    # alice is not in the password file, and the user name and password she sends are
    # ignored: her certificate's CN is her user name.
    alice = tls(client(b, version=version, username="carol", password="wrong"), pki,
                pki.alice)
    alice.ok()
    for topic in ("alice/inbox", "bob/inbox", "users/alice/news", "users/bob/news"):
        alice.subscribe(topic, qos=1)
    bob = tls(client(b, version=version), pki, pki.bob)
    bob.ok()
    for topic in ("bob/inbox", "users/bob/news", "alice/inbox", "users/alice/news"):
        bob.publish(topic, topic.encode(), qos=1)
    bob.publish("alice/inbox", b"end", qos=1)
    got = [m.payload for m in alice.wait_for(3)]
    assert got[:3] == [b"alice/inbox", b"users/alice/news", b"end"], got
    assert [m.payload for m in alice.received(settle=0.3)] == got[:3]
    # A reload checks password-file users again; alice's certificate still stands for hers.
    b.send_signal(signal.SIGHUP)
    wait_log(b, "Reloading config")
    time.sleep(0.5)
    bob.publish("alice/inbox", b"after reload", qos=1)
    assert [m.payload for m in alice.wait_for(4)][3] == b"after reload"
    assert alice.connected


@pytest.mark.roost_only
def test_identity_as_username_without_a_certificate_is_bad_credentials(broker, client, pki,
                                                                       tmp_path):
    # A certificate is optional on this listener, but the user name must come from one. Both
    # brokers refuse the clients without one (bad user name or password); Mosquitto 2.0.11
    # refuses bob too, since with require_certificate false it never asks for his certificate.
    acl = tmp_path / "acl"
    acl.write_text("topic readwrite #\n")
    b = broker(conf=tls_lines(pki, "allow_anonymous true", f"cafile {pki.ca.cert}",
                              "use_identity_as_username true"))
    c = tls(client(b, version=V5, username="alice", password="x"), pki)
    assert c.connect().value == 0x86
    c3 = tls(client(b, version=V311), pki)
    assert c3.connect().value == 0x86  # paho's name for 3.1.1's return code 4
    ok = tls(client(b, version=V5), pki, pki.bob)
    assert ok.connect().value == 0


def test_subject_as_username_in_openssl_form(broker, client, pki, tmp_path):
    subject = subject_rfc2253(pki.alice.cert)
    assert subject == "CN=alice,O=Roost Tests,C=GB"
    acl = tmp_path / "acl"
    acl.write_text(f"user {subject}\ntopic readwrite subject/#\n")
    b = broker(conf=mtls_lines(pki, "allow_anonymous false", f"acl_file {acl}",
                               "use_subject_as_username true"))
    c = tls(client(b, version=V5), pki, pki.alice)
    c.ok()
    c.subscribe("subject/#", qos=1)
    c.subscribe("elsewhere/#", qos=1)
    c.publish("elsewhere/x", b"denied", qos=1)
    c.publish("subject/x", b"allowed", qos=1)
    assert [m.payload for m in c.wait_for(1)] == [b"allowed"]
    assert [m.payload for m in c.received(settle=0.3)] == [b"allowed"]
    wait_log(b, f"u'{subject}'")


# ---------------------------------------------------------------- reloading certificates


def replace(dst_dir, issued):
    """Copy `issued`'s certificate and key over the broker's server.crt / server.key."""
    shutil.copy(issued.cert, dst_dir / "server.crt")
    shutil.copy(issued.key, dst_dir / "server.key")


def test_sighup_serves_the_new_certificate_and_keeps_connections(broker, client, pki,
                                                                 tmp_path):
    files = tmp_path / "certs"
    files.mkdir()
    replace(files, pki.server)
    b = broker(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                     f"certfile {files / 'server.crt'}", f"keyfile {files / 'server.key'}"])
    assert served_certificate(b.port, pki) == pki.server.der()
    old = tls(client(b, version=V5), pki)
    old.ok()
    topic = unique_topic("reload")
    old.subscribe(topic, qos=1)

    renewed = pki.ca.server("renewed")
    replace(files, renewed)
    b.send_signal(signal.SIGHUP)
    wait_until(lambda: served_certificate(b.port, pki) == renewed.der(), 10, interval=0.1,
               message="the renewed certificate served")
    mosquitto_pub(b, topic, "after reload", qos=1, extra=cli_tls(pki))
    assert [m.payload for m in old.wait_for(1)] == [b"after reload"]
    assert old.connected

    # A broken replacement: the running certificate stays.
    (files / "server.crt").write_text("this is not a certificate\n")
    b.send_signal(signal.SIGHUP)
    if IS_MOSQUITTO:
        wait_log(b, "Error when reloading certificate")
    else:
        wait_log(b, "Keeping the running TLS certificate of the listener on port "
                    f"{b.port}: {b.conf_path}:3: certfile '{files / 'server.crt'}': no PEM "
                    "certificate in the file")
    assert served_certificate(b.port, pki) == renewed.der()
    old.publish(topic, b"still here", qos=1)
    assert [m.payload for m in old.wait_for(2)][1] == b"still here"


# ---------------------------------------------------------------- errors at start


def run_roost(conf_path, *args):
    return subprocess.run([ROOST_BIN, "broker", "-c", str(conf_path), *args],
                          capture_output=True, text=True, timeout=15,
                          stdin=subprocess.DEVNULL)


@pytest.mark.roost_only
def test_certfile_without_keyfile_stops_the_broker_at_its_line(broker_exits, pki):
    r, b = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                              f"certfile {pki.server.cert}"])
    assert r.returncode != 0
    assert (f"{b.conf_path}:3: 'certfile' needs a 'keyfile' on the same listener"
            in r.stderr), r.stderr
    t = run_roost(b.conf_path, "--test-config")
    assert t.returncode == 1 and f"{b.conf_path}:3: 'certfile' needs" in t.stderr


@pytest.mark.roost_only
def test_mismatched_key_stops_the_broker_naming_file_and_line(broker_exits, pki):
    r, b = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                              f"certfile {pki.server.cert}", f"keyfile {pki.alice.key}"])
    assert r.returncode != 0
    expected = (f"{b.conf_path}:4: keyfile '{pki.alice.key}': the key does not match the "
                f"certificate of certfile '{pki.server.cert}'")
    assert expected in r.stderr, r.stderr
    t = run_roost(b.conf_path, "--test-config")
    assert t.returncode == 1 and expected in t.stderr, t.stderr


def test_broker_refuses_to_start_with_a_missing_key_file(broker_exits, pki, tmp_path):
    missing = tmp_path / "nowhere.key"
    r, b = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                              f"certfile {pki.server.cert}", f"keyfile {missing}"])
    assert r.returncode != 0
    if not IS_MOSQUITTO:
        assert (f"{b.conf_path}:4: keyfile '{missing}': cannot read the file: No such file"
                in r.stderr), r.stderr
