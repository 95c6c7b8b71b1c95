"""Brokers that keep their state on disk, restarted on the same store.

Roost is durable by default: with no `persistence_location` its store is
`$XDG_DATA_HOME/roost/roost.db`, and the harness gives every broker its own XDG_DATA_HOME
inside its workdir, so a broker started again with the same `Broker` object (same conf,
workdir and environment) opens the same store. Mosquitto keeps nothing unless told to:
`durable()` adds `persistence true` and a `persistence_location` in the workdir for it,
and nothing for Roost (so Roost's tests check the default).

`restart(b, "term")` stops with SIGTERM (a graceful shutdown; Roost must exit 0) and
`restart(b, "kill")` with SIGKILL (a crash), then starts the same broker again on the same
ports, or on new free ones with `new_ports=True`; it returns the (first) port.
`resume()` and `drain()` are the raw-socket side: a persistent session connecting again,
and reading what it is sent up to a sentinel.
"""

import signal
import subprocess
import time
from pathlib import Path

import pytest

import rawmqtt as R
from harness import IS_MOSQUITTO

# The two ways a broker goes down; "kill" is a crash, which Mosquitto does not survive
# (it writes its database only on shutdown and every autosave_interval).
HOWS = ["term", pytest.param("kill", marks=pytest.mark.roost_only)]
HOW_IDS = ["sigterm", "sigkill"]

STORE_DIR = "store"
EXPIRY = 300  # session expiry of the MQTT 5 persistent sessions


def durable(workdir, **directives):
    """The directives that make this broker kind keep its state in `workdir`, plus
    `directives`. For Roost: none (durable is its default)."""
    out = {}
    if IS_MOSQUITTO:
        location = Path(workdir) / STORE_DIR
        location.mkdir(parents=True, exist_ok=True)
        # Mosquitto joins persistence_location and persistence_file as strings.
        out = {"persistence": True, "persistence_location": f"{location}/"}
    out.update(directives)
    return out


def start_durable(broker, tmp_path, name="durable", **directives):
    """Start a broker (with the `broker` fixture) that keeps its state on disk."""
    workdir = Path(tmp_path) / name
    return broker(workdir=workdir, **durable(workdir, **directives))


def store_path(b):
    """Where this broker's store file is (the default location for Roost)."""
    if IS_MOSQUITTO:
        return b.workdir / STORE_DIR / "mosquitto.db"
    return b.workdir / "data" / "roost" / "roost.db"


def _mark_log(b, text):
    with open(b.log_path, "ab") as log:
        log.write(f"----- {text} -----\n".encode())


def down(b, how, timeout=10.0):
    """Stop the broker: "term" (SIGTERM, must exit cleanly) or "kill" (SIGKILL)."""
    _mark_log(b, f"test: stopping with {'SIGTERM' if how == 'term' else 'SIGKILL'}")
    if how == "term":
        b.stop(signal.SIGTERM, timeout)
    elif how == "kill":
        if b.alive():
            b.proc.send_signal(signal.SIGKILL)
            try:
                b.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"broker did not die within {timeout}s of SIGKILL") \
                    from None
    else:
        raise ValueError(f"how must be 'term' or 'kill', not {how!r}")


def up(b, new_ports=False, timeout=15.0, attempts=5):
    """Start the same broker again (same conf, workdir, environment: the same store) on
    the same ports, or on new free ones; returns the first port. The old ports may be
    refused for a moment after a crash, so an "in use" start is retried."""
    _mark_log(b, "test: starting again")
    ports = None if new_ports else list(b.ports)
    for attempt in range(attempts):
        start_at = b.log_path.stat().st_size if b.log_path.exists() else 0
        try:
            b.start(ports=ports, timeout=timeout)
            return b.port
        except AssertionError:
            with open(b.log_path, "rb") as log:
                log.seek(start_at)
                fresh = log.read().decode(errors="replace").lower()
            if "in use" not in fresh or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def restart(b, how, new_ports=False):
    """`down(b, how)` then `up(b)`; returns the port the broker listens on now."""
    down(b, how)
    return up(b, new_ports=new_ports)


# ---------------------------------------------------------------- raw sessions

def resume(raw, b, version, cid, expiry=EXPIRY):
    """A raw connection resuming (or starting) a persistent session; returns (r, CONNACK)."""
    r = raw(b, version)
    ack = r.connect(cid, clean=False,
                    props={"SessionExpiryInterval": expiry} if version == R.V5 else None)
    assert ack.rc == 0, f"{cid} refused: {ack!r}"
    return r, ack


def drain(r, sentinel, timeout=10.0):
    """Payloads of the PUBLISHes a RawClient gets before the one whose payload is
    `sentinel`, acting as a receiver: PUBACK, PUBREC, and PUBCOMP for each PUBREL (the
    broker may send queued PUBLISHes before it answers a PUBREC)."""
    sentinel = sentinel.encode() if isinstance(sentinel, str) else sentinel
    got, done = [], False
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if done:
            left = min(left, 0.5)  # a PUBREL still to answer, or a late duplicate
        try:
            p = r.read(max(0.05, left))
        except R.Timeout:
            if done:
                return got
            raise AssertionError(f"no {sentinel!r} within {timeout}s; got {got!r}") from None
        if p.type == R.PUBREL:
            r.send(R.pubcomp(p.pid, version=r.version))
        elif p.type == R.PUBLISH:
            r.ack(p)
            if p.payload == sentinel:
                done = True
            else:
                got.append(p.payload)
