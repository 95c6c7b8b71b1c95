"""Certificates for the TLS tests, made with the `openssl` command as an administrator would:
a CA (`openssl req -x509`), certificates it signs with `openssl ca` (so that one can be
revoked and a CRL issued), and a second, unrelated CA for certificates the broker must not
trust.

    ca = CertAuthority(tmp_path / "ca", "Roost Test CA")
    server = ca.server("server")                 # CN=127.0.0.1, SAN IP:127.0.0.1, DNS:localhost
    good = ca.client("good", "/CN=alice/O=Roost Tests")
    old = ca.client("old", "/CN=old", expired=True)
    ca.revoke(ca.client("gone", "/CN=gone")); crl = ca.crl()

Each issued certificate is an `Issued` with `.cert` and `.key` paths (PEM).
"""

import ssl
import subprocess
from pathlib import Path


def openssl(*args, cwd=None):
    cmd = ["openssl", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{cmd} exited {r.returncode}: {r.stderr}{r.stdout}"
    return r.stdout


def subject_rfc2253(cert):
    """The subject of a PEM certificate as OpenSSL prints it in RFC 2253 form — the user name
    Mosquitto's use_subject_as_username takes."""
    out = openssl("x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253").strip()
    return out.split("=", 1)[1] if out.startswith("subject=") else out


class Issued:
    def __init__(self, cert, key):
        self.cert = Path(cert)
        self.key = Path(key)

    def der(self):
        """The certificate in DER form, as ssl.getpeercert(binary_form=True) returns it."""
        return ssl.PEM_cert_to_DER_cert(self.cert.read_text())


_CA_CONF = """\
[ ca ]
default_ca = test_ca

[ test_ca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.crt
private_key = $dir/ca.key
default_md = sha256
default_days = {days}
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = optional

[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost

[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
"""


class CertAuthority:
    """A CA in `directory`: its key, its self-signed certificate and `openssl ca`'s database."""

    def __init__(self, directory, name, days=365):
        self.dir = Path(directory)
        (self.dir / "issued").mkdir(parents=True, exist_ok=True)
        (self.dir / "index.txt").write_text("")
        (self.dir / "serial").write_text("1000\n")
        (self.dir / "crlnumber").write_text("1000\n")
        self.conf = self.dir / "ca.cnf"
        self.conf.write_text(_CA_CONF.format(dir=self.dir, days=days))
        self.cert = self.dir / "ca.crt"
        self.key = self.dir / "ca.key"
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", self.key, "-out", self.cert, "-days", days,
                "-subj", f"/CN={name}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _issue(self, name, subject, extensions, key_kind="ec", expired=False,
               multivalue=False):
        key = self.dir / f"{name}.key"
        csr = self.dir / f"{name}.csr"
        cert = self.dir / f"{name}.crt"
        if key_kind == "rsa":
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key)
        else:
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-out", key)
        req = ["req", "-new", "-key", key, "-out", csr, "-subj", subject, "-utf8"]
        if multivalue:
            req.append("-multivalue-rdn")
        openssl(*req)
        sign = ["ca", "-batch", "-config", self.conf, "-extensions", extensions,
                "-preserveDN", "-notext", "-utf8", "-in", csr, "-out", cert]
        if multivalue:
            sign.append("-multivalue-rdn")
        if expired:
            sign += ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"]
        openssl(*sign)
        return Issued(cert, key)

    def server(self, name="server", key_kind="ec", expired=False):
        """A server certificate for 127.0.0.1 and localhost."""
        return self._issue(name, "/CN=127.0.0.1", "server_ext", key_kind, expired=expired)

    def client(self, name, subject=None, expired=False, multivalue=False):
        """A client certificate with `subject` (default /CN=name)."""
        return self._issue(name, subject or f"/CN={name}", "client_ext", expired=expired,
                           multivalue=multivalue)

    def revoke(self, issued):
        openssl("ca", "-batch", "-config", self.conf, "-revoke", issued.cert)

    def crl(self, name="ca.crl"):
        """A CRL of every certificate revoked so far."""
        path = self.dir / name
        openssl("ca", "-batch", "-config", self.conf, "-gencrl", "-out", path)
        return path


def key_as(issued, form, out):
    """Write `issued`'s private key in another PEM form: 'pkcs8', 'pkcs1' (RSA) or 'sec1' (EC)."""
    if form == "pkcs8":
        openssl("pkey", "-in", issued.key, "-out", out)
    elif form == "pkcs1":
        openssl("rsa", "-in", issued.key, "-traditional", "-out", out)
    elif form == "sec1":
        openssl("ec", "-in", issued.key, "-out", out)
    else:
        raise ValueError(form)
    return Path(out)
