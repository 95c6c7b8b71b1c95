"""Fixtures: `broker(**directives)` starts a broker; `client`, `raw` and `mosq_sub`
make clients that are always closed at teardown. A failing test prints the broker log.
"""

import os

import pytest

import rawmqtt
from harness import IS_MOSQUITTO, ROOST_BIN, Broker, Client, MosquittoSub, unique_id


def pytest_sessionstart(session):
    if not IS_MOSQUITTO and not os.access(ROOST_BIN, os.X_OK):
        raise pytest.UsageError(
            f"ROOST_BIN {ROOST_BIN} is not an executable: build it (cargo build), point "
            f"ROOST_BIN at it, or run against Mosquitto with E2E_BROKER=mosquitto")


def pytest_collection_modifyitems(config, items):
    # E2E_RUN_ROOST_ONLY=1 runs them against Mosquitto anyway, to see how it differs.
    if not IS_MOSQUITTO or os.environ.get("E2E_RUN_ROOST_ONLY") == "1":
        return
    skip = pytest.mark.skip(reason="roost_only: Mosquitto is known to differ here")
    for item in items:
        if "roost_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture
def broker(tmp_path, request):
    """Factory: `broker(max_inflight_messages=5)` starts a broker with those
    mosquitto.conf directives (a list value repeats the directive) and returns it.

    `conf=[lines]` replaces the default `listener {port} 127.0.0.1` + `allow_anonymous
    true` with raw lines (`{port}`, `{port2}`, ... become free ports; see Broker);
    `workdir=` sets the broker's directory (its cwd, where relative paths resolve)."""
    started = []

    def start(conf=None, workdir=None, **directives):
        b = Broker(workdir or tmp_path / f"broker{len(started)}", directives, conf)
        started.append(b)
        return b.start()

    yield start
    rep = getattr(request.node, "rep_call", None)
    for b in started:
        b.kill()
        if rep is not None and rep.failed:
            print(f"----- broker log ({b.kind}, port {b.port}) -----")
            print(b.log_text()[-20000:])


@pytest.fixture
def broker_exits(tmp_path):
    """Factory: `broker_exits(conf=[...], extra_args=(), **directives)` runs the broker on
    that configuration expecting it to exit by itself (a configuration error); returns
    (CompletedProcess, Broker) with the text of stdout and stderr."""
    count = [0]

    def run(conf=None, extra_args=(), timeout=10.0, **directives):
        b = Broker(tmp_path / f"exits{count[0]}", directives, conf)
        count[0] += 1
        return b.run_to_exit(timeout, extra_args), b

    return run


@pytest.fixture
def client():
    """Factory: `client(b, version=V5, client_id=..., clean=..., manual_ack=..., will=...)`
    returns an unconnected paho wrapper; call `.connect()` or `.ok()`."""
    made = []

    def make(b, **kw):
        c = Client(b, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def connected(client):
    """Factory: a paho client already connected successfully."""

    def make(b, **kw):
        connect_kw = {k: kw.pop(k) for k in ("properties", "clean_start") if k in kw}
        c = client(b, **kw)
        c.ok(**connect_kw)
        return c

    return make


@pytest.fixture
def raw():
    """Factory: `raw(b, version=rawmqtt.V5, port=None)` opens a raw TCP connection (to
    `port`, one of `b.ports`, or the first listener)."""
    made = []

    def make(b, version=rawmqtt.V311, timeout=5.0, port=None):
        r = rawmqtt.RawClient(b.port if port is None else port, b.host, version, timeout)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture
def raw_login(raw):
    """Factory: `raw_login(b, user, password, version=V5, client_id=None, port=None)`: a
    RawClient whose CONNECT (anonymous when user is None) was accepted."""

    def connect(b, user=None, password=None, version=rawmqtt.V5, client_id=None, port=None):
        r = raw(b, version, port=port)
        cid = client_id or unique_id(user or "anon")
        ack = r.connect(cid, username=user, password=password)
        assert ack.rc == 0, f"{user!r} refused on port {port or b.port}: {ack!r}"
        return r

    return connect


@pytest.fixture
def mosq_sub():
    made = []

    def make(b, topics, **kw):
        s = MosquittoSub(b, topics, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
