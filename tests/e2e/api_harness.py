"""The dashboard's HTTP API over real HTTP with `requests`: a broker with an MQTT listener,
a password file and a dashboard listener on free ports, and helpers to log in (changing the
default password, as the first login must) and to call the API.

Used by test_api.py. The broker writes its logins to `dashboard.json` in its own directory.
"""

import base64
import re
import time
import urllib.parse

import requests

from harness import HOST, mosquitto_passwd

NEW_PASSWORD = "Roost-dash-2"
TIMEOUT = 10


def dashboard_conf(tmp_path, extra=()):
    """Configuration lines: MQTT on {port}, the dashboard on {port2}, a password file with
    user `alice` (anonymous clients still allowed), logins in tmp_path/dashboard.json."""
    passwd = tmp_path / "passwd"
    if not passwd.exists():
        mosquitto_passwd(passwd, "alice", "alice-pw", create=True)
    return [
        "listener {port} 127.0.0.1",
        "allow_anonymous true",
        f"password_file {passwd}",
        "dashboard_listener {port2} 127.0.0.1",
        f"dashboard_auth_file {tmp_path / 'dashboard.json'}",
        *extra,
    ]


class Api:
    """HTTP calls against one broker's dashboard listener."""

    def __init__(self, broker):
        self.broker = broker
        self.base = f"http://{HOST}:{broker.ports[1]}"
        self.http = requests.Session()

    def url(self, path):
        return self.base + path

    def call(self, method, path, token=None, auth=None, **kw):
        headers = kw.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url(path), headers=headers, auth=auth,
                                 timeout=TIMEOUT, **kw)

    def login(self, username="admin", password="public"):
        return self.call("POST", "/api/v5/login",
                         json={"username": username, "password": password})

    def first_login(self):
        """Log in as admin/public, set NEW_PASSWORD, and return a token that may do anything."""
        r = self.login()
        assert r.status_code == 200, r.text
        token = r.json()["token"]
        r = self.call("POST", "/api/v5/users/admin/change_pwd", token,
                      json={"old_pwd": "public", "new_pwd": NEW_PASSWORD})
        assert r.status_code == 204, r.text
        return token


class Authed:
    """An Api with a token, for the tests that are not about logging in."""

    def __init__(self, api, token):
        self.api = api
        self.token = token

    def get(self, path, expect=200, **kw):
        r = self.api.call("GET", path, self.token, **kw)
        assert r.status_code == expect, f"GET {path}: {r.status_code} {r.text}"
        return r

    def json(self, path, **kw):
        return self.get(path, **kw).json()

    def send(self, method, path, expect, **kw):
        r = self.api.call(method, path, self.token, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r


def quote_topic(topic):
    """A topic as one path segment (slashes as %2F), as the dashboard sends it."""
    return urllib.parse.quote(topic, safe="")


def basic(key, secret):
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')


def parse_prometheus(text):
    """Parse the Prometheus text format strictly: every sample's family has # HELP and
    # TYPE before it, counters end in _total; returns {(name, labels): value} and
    {name: type}."""
    helps, types, samples = set(), {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            helps.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in helps, f"TYPE before HELP: {line}"
            assert kind in ("counter", "gauge"), line
            if kind == "counter":
                assert name.endswith("_total"), f"counter without _total: {line}"
            types[name] = kind
            continue
        m = _SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        assert name in types, f"sample before its TYPE: {line}"
        samples[(name, labels)] = float(value)
    return samples, types


def wait_value(fn, pred, timeout=10.0, what="value"):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if pred(v):
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last {v!r}")
        time.sleep(0.05)
