"""Start a broker under test and talk to it with clients nobody here wrote.

The broker is Roost (`ROOST_BIN broker -c CONF`) unless `E2E_BROKER=mosquitto`, in
which case the same mosquitto.conf-syntax file is given to `mosquitto -c CONF`; the
tests are validated that way before Roost exists. Everything listens on 127.0.0.1 on
a free port, in a per-test tmp dir, so tests run in parallel.
"""

import functools
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

import rawmqtt

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
KIND = os.environ.get("E2E_BROKER", "roost").strip().lower() or "roost"
IS_MOSQUITTO = KIND == "mosquitto"
ROOST_BIN = os.environ.get("ROOST_BIN", str(REPO / "target" / "debug" / "roost"))

V311 = 4
V5 = 5
VERSIONS = [V311, V5]
VERSION_IDS = ["v311", "v5"]


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_ports(n):
    """`n` distinct free ports (held open together while they are picked)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def unique_id(prefix="e2e"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_topic(prefix="t"):
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def wait_until(cond, timeout, interval=0.02, message="condition"):
    """Poll `cond` until it is truthy; return its value or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


# ---------------------------------------------------------------- the broker

def _text(output):
    """subprocess output as text (TimeoutExpired carries bytes even with text=True)."""
    if output is None:
        return ""
    return output.decode(errors="replace") if isinstance(output, bytes) else output


def _conf_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_PORT_FIELD = re.compile(r"\{port(\d*)\}")


def _port_slot(field):
    """`{port}` and `{port1}` are the first listener's port, `{port2}` the second's..."""
    return max(int(field or 1), 1) - 1


class Broker:
    """One broker process. Use the `broker` fixture rather than this class directly.

    With `conf` (a list of lines or one string) the file starts with those lines instead
    of `listener {port} 127.0.0.1` + `allow_anonymous true`; `{port}`, `{port2}`, ... in
    them become distinct free ports (`self.ports`), and `self.port` is the first.
    """

    def __init__(self, workdir, directives, conf=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.directives = directives
        if isinstance(conf, str):
            conf = conf.splitlines()
        self.conf = None if conf is None else list(conf)
        self.host = HOST
        self.port = None
        self.ports = []
        self.proc = None
        self.conf_path = self.workdir / "broker.conf"
        self.log_path = self.workdir / "broker.log"
        self.kind = KIND

    @property
    def pid(self):
        return self.proc.pid

    def _port_count(self):
        if self.conf is None:
            return 1
        slots = [_port_slot(m.group(1)) for line in self.conf
                 for m in _PORT_FIELD.finditer(line)]
        return max(slots, default=0) + 1

    def write_conf(self):
        if self.conf is None:
            lines = [f"listener {self.port} {HOST}", "allow_anonymous true"]
        else:
            lines = [_PORT_FIELD.sub(lambda m: str(self.ports[_port_slot(m.group(1))]), line)
                     for line in self.conf]
        for name, value in self.directives.items():
            for v in value if isinstance(value, (list, tuple)) else [value]:
                lines.append(f"{name} {_conf_value(v)}")
        if IS_MOSQUITTO and os.geteuid() == 0:
            # Mosquitto started as root drops to user `mosquitto` before it reads the
            # password and ACL files, which then sit in pytest's root-only tmp dir.
            lines.insert(0, "user root")
        self.conf_path.write_text("\n".join(lines) + "\n")

    def env(self):
        """The broker's environment: XDG_DATA_HOME inside its own directory, so the
        dashboard's default auth file (logins, API keys) belongs to this test alone."""
        env = dict(os.environ)
        env["XDG_DATA_HOME"] = str(self.workdir / "data")
        return env

    def command(self):
        if IS_MOSQUITTO:
            return ["mosquitto", "-c", str(self.conf_path)]
        return [ROOST_BIN, "broker", "-c", str(self.conf_path)]

    def start(self, port=None, timeout=10.0, ports=None):
        """Start on `port` (or a free one; `ports` for every listener) and wait until
        every listener accepts TCP."""
        if not IS_MOSQUITTO and not os.access(ROOST_BIN, os.X_OK):
            raise AssertionError(
                f"ROOST_BIN {ROOST_BIN} is not an executable: build it (cargo build) or set "
                f"ROOST_BIN, or run against Mosquitto with E2E_BROKER=mosquitto")
        if ports is None and port is not None:
            ports = [port] + self.ports[1:]
        for attempt in range(3):
            self.ports = list(ports) if ports else free_ports(self._port_count())
            self.port = self.ports[0]
            self.write_conf()
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen(
                    self.command(), stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env())
            finally:
                log.close()
            if self._wait_accepting(timeout):
                return self
            text = self.log_text()
            if ports is None and "in use" in text.lower() and attempt < 2:
                continue  # lost a race for the port with another test
            self.kill()
            raise AssertionError(
                f"broker did not start listening on {HOST}:{self.port} within {timeout}s; "
                f"command {self.command()}; log:\n{text}")
        raise AssertionError("unreachable")

    def _wait_accepting(self, timeout):
        deadline = time.monotonic() + timeout
        waiting = list(self.ports)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((HOST, waiting[0]), timeout=0.5):
                    waiting.pop(0)
                    if not waiting:
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def restart(self):
        """Stop cleanly and start again on the same ports with the same conf."""
        self.stop()
        return self.start(ports=self.ports)

    def run_to_exit(self, timeout=10.0, extra_args=()):
        """Run the broker on this conf expecting it to exit by itself (a bad
        configuration); returns the CompletedProcess with text stdout and stderr."""
        self.ports = free_ports(self._port_count())
        self.port = self.ports[0]
        self.write_conf()
        cmd = self.command() + list(extra_args)
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, cwd=self.workdir, env=self.env())
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"{cmd} was still running after {timeout}s; output:\n"
                                 f"{_text(e.stdout)}{_text(e.stderr)}") from None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Send `sig`, wait for exit; Roost must exit 0. Returns the exit code."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"broker did not exit within {timeout}s of {sig!r}") from None
        if not IS_MOSQUITTO:
            assert code == 0, f"roost exited {code} after {sig!r}; log:\n{self.log_text()}"
        return code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def accepts_clients(self, version=V5):
        """True if a fresh client can connect, subscribe, and get its own message."""
        c = Client(self, version=version)
        try:
            rc = c.connect()
            if rc.value != 0:
                return False
            topic = unique_topic("alive")
            c.subscribe(topic, qos=1)
            c.publish(topic, b"ping", qos=1)
            c.wait_for(1, timeout=5)
            return True
        finally:
            c.close()


# ---------------------------------------------------------------- paho clients

class Message:
    """A message as a paho client received it."""

    def __init__(self, m):
        self.topic = m.topic
        self.payload = m.payload
        self.qos = m.qos
        self.retain = bool(m.retain)
        self.dup = bool(m.dup)
        self.mid = m.mid
        self.properties = getattr(m, "properties", None)
        self.time = time.monotonic()

    def prop(self, name, default=None):
        if self.properties is None:
            return default
        return getattr(self.properties, name, default)

    def __repr__(self):
        return (f"<Message {self.topic!r} {self.payload[:40]!r} q{self.qos} "
                f"r{int(self.retain)} d{int(self.dup)}>")


class ConnectResult:
    def __init__(self, reason_code, flags, properties):
        self.reason_code = reason_code
        self.value = reason_code.value if hasattr(reason_code, "value") else int(reason_code)
        self.session_present = bool(getattr(flags, "session_present", False))
        self.properties = properties

    def prop(self, name, default=None):
        if self.properties is None:
            return default
        return getattr(self.properties, name, default)


def props(packet_type="PUBLISH", **values):
    """Build paho Properties for a packet type: props("CONNECT", SessionExpiryInterval=60)."""
    p = Properties(getattr(PacketTypes, packet_type))
    for k, v in values.items():
        setattr(p, k, v)
    return p


class Client:
    """A paho-mqtt 2.x client (v3.1.1 or v5) driven synchronously by the tests.

    Received messages are collected in a thread-safe list; `wait_for(n)` blocks until
    n have arrived. Never reconnects by itself.
    """

    def __init__(self, broker, client_id=None, version=V5, clean=True, keepalive=60,
                 manual_ack=False, will=None, username=None, password=None, port=None):
        self.broker = broker
        self.version = version
        self.client_id = unique_id() if client_id is None else client_id
        self.clean = clean
        self.keepalive = keepalive
        protocol = mqtt.MQTTv5 if version == V5 else mqtt.MQTTv311
        kwargs = {}
        if version != V5:
            kwargs["clean_session"] = clean
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=protocol, reconnect_on_failure=False,
                             manual_ack=manual_ack, **kwargs)
        if will is not None:
            self.c.will_set(**will)
        if username is not None:
            self.c.username_pw_set(username, password)
        self.port = broker.port if port is None else port
        self._cond = threading.Condition()
        self.messages = []
        self.disconnects = []
        self._connack = queue.Queue()
        self._subacks = {}
        self._unsubacks = {}
        self._publish_results = {}
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_disconnect = self._on_disconnect
        self.c.on_subscribe = self._on_subscribe
        self.c.on_unsubscribe = self._on_unsubscribe
        self.c.on_publish = self._on_publish
        self.connected = False

    # -- callbacks (paho's network thread)
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connected = not reason_code.is_failure
        self._connack.put(ConnectResult(reason_code, flags, properties))

    def _on_message(self, client, userdata, m):
        with self._cond:
            self.messages.append(Message(m))
            self._cond.notify_all()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        with self._cond:
            self.connected = False
            self.disconnects.append((reason_code, properties))
            self._cond.notify_all()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self._subacks[mid] = reason_codes
            self._cond.notify_all()

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties):
        with self._cond:
            self._unsubacks[mid] = reason_codes
            self._cond.notify_all()

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._cond:
            self._publish_results[mid] = reason_code
            self._cond.notify_all()

    def _wait(self, pred, timeout, what):
        with self._cond:
            if not self._cond.wait_for(pred, timeout):
                raise AssertionError(f"{self.client_id}: timed out after {timeout}s waiting "
                                     f"for {what}")

    # -- session
    def connect(self, properties=None, clean_start=None, timeout=10.0, keepalive=None):
        """Connect and wait for the CONNACK; returns a ConnectResult (failures too)."""
        kwargs = {}
        if self.version == V5:
            kwargs["clean_start"] = self.clean if clean_start is None else clean_start
            if properties is not None:
                kwargs["properties"] = properties
        self.c.connect(HOST, self.port, keepalive or self.keepalive, **kwargs)
        self.c.loop_start()
        try:
            return self._connack.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.client_id}: no CONNACK within {timeout}s") from None

    def ok(self, **kw):
        """Connect and require success; returns the ConnectResult."""
        r = self.connect(**kw)
        assert r.value == 0, f"CONNACK refused: {r.reason_code}"
        return r

    def subscribe(self, topic, qos=0, no_local=False, retain_as_published=False,
                  retain_handling=0, sub_id=None, properties=None, timeout=10.0):
        """Subscribe and return the list of reason code values from the SUBACK."""
        if self.version == V5:
            opts = SubscribeOptions(qos=qos, noLocal=no_local,
                                    retainAsPublished=retain_as_published,
                                    retainHandling=retain_handling)
            if sub_id is not None:
                properties = properties or props("SUBSCRIBE")
                properties.SubscriptionIdentifier = sub_id
            rc, mid = self.c.subscribe(topic, options=opts, properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        assert rc == mqtt.MQTT_ERR_SUCCESS, f"subscribe failed locally: {rc}"
        self._wait(lambda: mid in self._subacks, timeout, f"SUBACK for {topic}")
        return [getattr(r, "value", r) for r in self._subacks[mid]]

    def unsubscribe(self, topic, timeout=10.0):
        rc, mid = self.c.unsubscribe(topic)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        self._wait(lambda: mid in self._unsubacks, timeout, f"UNSUBACK for {topic}")
        codes = self._unsubacks[mid]
        if not isinstance(codes, list):
            codes = [codes]
        return [getattr(r, "value", r) for r in codes]

    def publish(self, topic, payload=b"", qos=0, retain=False, properties=None, wait=True,
                timeout=10.0):
        """Publish; with wait=True blocks until the QoS handshake completes."""
        info = self.c.publish(topic, payload, qos, retain, properties=properties)
        if wait:
            info.wait_for_publish(timeout)
            assert info.is_published(), f"publish to {topic} not completed in {timeout}s"
        return info

    def publish_result(self, mid):
        with self._cond:
            return self._publish_results.get(mid)

    # -- receiving
    def wait_for(self, n, timeout=10.0):
        """Block until at least `n` messages arrived; returns all received so far."""
        self._wait(lambda: len(self.messages) >= n, timeout,
                   f"{n} messages (have {len(self.messages)})")
        with self._cond:
            return list(self.messages)

    def received(self, settle=0.0):
        """The messages received so far, after waiting `settle` seconds."""
        if settle:
            time.sleep(settle)
        with self._cond:
            return list(self.messages)

    def clear(self):
        with self._cond:
            self.messages.clear()

    def wait_disconnected(self, timeout=10.0):
        self._wait(lambda: self.disconnects, timeout, "disconnection")
        return self.disconnects[0]

    def ack(self, mid, qos):
        self.c.ack(mid, qos)

    # -- ending
    def disconnect(self, reason_code=None, properties=None):
        """A clean DISCONNECT (v5: with an optional reason code)."""
        if self.version == V5 and reason_code is not None:
            from paho.mqtt.reasoncodes import ReasonCode
            rc = ReasonCode(PacketTypes.DISCONNECT, identifier=reason_code)
            self.c.disconnect(rc, properties)
        else:
            self.c.disconnect()
        self._stop_loop()

    def kill(self):
        """Drop the TCP connection without DISCONNECT, as a crashed client would."""
        sock = self.c.socket()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._stop_loop()

    def _stop_loop(self):
        try:
            self.c.loop_stop()
        except Exception:
            pass

    def close(self):
        """Teardown: disconnect if connected, stop the network thread."""
        try:
            if self.connected:
                self.c.disconnect()
        except Exception:
            pass
        self._stop_loop()


# ---------------------------------------------------------------- mosquitto_pub / _sub

CLI_VERSIONS = ["mqttv311", "mqttv5"]


def mosquitto_pub(broker, topic, message, version="mqttv311", qos=0, retain=False,
                  extra=(), timeout=15.0, check=True, port=None):
    port = broker.port if port is None else port
    cmd = ["mosquitto_pub", "-h", HOST, "-p", str(port), "-V", version, "-t", topic,
           "-q", str(qos)]
    if message is not None:
        cmd += ["-m", message]
    if retain:
        cmd.append("-r")
    cmd += list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check:
        assert r.returncode == 0, f"{cmd} exited {r.returncode}: {r.stderr}{r.stdout}"
    return r


MARK = "=MSG="


class MosquittoSub:
    """A running mosquitto_sub whose messages are printed as
    `=MSG= <qos> <retain> <topic> <payload>` (plus any extra format fields)."""

    def __init__(self, broker, topics, version="mqttv311", qos=0, fmt="%q %r %t %p",
                 extra=(), port=None):
        if isinstance(topics, str):
            topics = [topics]
        port = broker.port if port is None else port
        # stdbuf: mosquitto_sub's stdout is block-buffered into a pipe otherwise.
        cmd = ["stdbuf", "-oL", "mosquitto_sub", "-h", HOST, "-p", str(port), "-V",
               version, "-q", str(qos), "-d", "-F", f"{MARK} {fmt}"]
        for t in topics:
            cmd += ["-t", t]
        cmd += list(extra)
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, bufsize=1)
        self.lines = []
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def _wait(self, pred, timeout, what):
        with self._cond:
            if not self._cond.wait_for(pred, timeout):
                raise AssertionError(f"mosquitto_sub: timed out waiting for {what}; "
                                     f"output:\n" + "\n".join(self.lines))

    def wait_subscribed(self, timeout=10.0):
        self._wait(lambda: any("received SUBACK" in ln for ln in self.lines), timeout,
                   "SUBACK")
        return self

    def messages(self):
        with self._cond:
            return [ln[len(MARK) + 1:] for ln in self.lines if ln.startswith(MARK)]

    def wait_for(self, n, timeout=10.0):
        self._wait(lambda: len([ln for ln in self.lines if ln.startswith(MARK)]) >= n,
                   timeout, f"{n} messages")
        return self.messages()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._thread.join(5)


# ---------------------------------------------------------------- raw helpers

def connack_code(broker, username=None, password=None, version=V5, client_id=None,
                 port=None, timeout=5.0):
    """Connect once on a raw socket and return the CONNACK code (the connection is closed)."""
    r = rawmqtt.RawClient(broker.port if port is None else port, HOST, version, timeout)
    try:
        cid = unique_id("probe") if client_id is None else client_id
        return r.connect(cid, username=username, password=password).rc
    finally:
        r.close()


def messages_until(r, sentinel, timeout=10.0):
    """Read PUBLISHes on a RawClient (acknowledging them) until one whose payload is
    `sentinel`; return [(topic, payload)] of those that came before it.

    A broker keeps the order of one publisher's messages to one subscriber, so a message
    it should have dropped would arrive ahead of a sentinel published after it."""
    sentinel = sentinel.encode() if isinstance(sentinel, str) else sentinel
    deadline = time.monotonic() + timeout
    got = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no sentinel {sentinel!r} within {timeout}s; got {got!r}")
        try:
            p = r.receive_message(left)
        except rawmqtt.Timeout:
            continue
        if p.payload == sentinel:
            return got
        got.append((p.topic, p.payload))


# ---------------------------------------------------------------- password files

def mosquitto_passwd(path, user, password=None, create=False, delete=False, hash_name=None):
    """Add or update `user` in the password file at `path` with the real mosquitto_passwd
    in batch mode (`-c` creates the file, `-D` deletes the user, `-H` picks the hash)."""
    cmd = ["mosquitto_passwd"]
    if hash_name is not None:
        cmd += ["-H", hash_name]
    if delete:
        cmd += ["-D", str(path), user]
    else:
        cmd += (["-c"] if create else []) + ["-b", str(path), user, password]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=15)
    assert r.returncode == 0, f"{cmd} exited {r.returncode}: {r.stderr}{r.stdout}"


@functools.lru_cache(maxsize=None)
def mosquitto_passwd_hashes():
    """The -H names the installed mosquitto_passwd offers (from its usage text)."""
    r = subprocess.run(["mosquitto_passwd", "--help"], capture_output=True, text=True,
                       timeout=15)
    return set(re.findall(r"-H (sha512(?:-pbkdf2)?)", r.stdout + r.stderr))


@functools.lru_cache(maxsize=None)
def roost_passwd_available():
    """True when `ROOST_BIN passwd --help` prints roost passwd's usage (like mosquitto_passwd,
    it exits 1 after printing it)."""
    if not os.access(ROOST_BIN, os.X_OK):
        return False
    try:
        r = subprocess.run([ROOST_BIN, "passwd", "--help"], capture_output=True,
                           timeout=15, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return b"roost passwd" in r.stdout + r.stderr


def roost_passwd(path, user, password=None, create=False, delete=False):
    """The same as mosquitto_passwd(), with `ROOST_BIN passwd`."""
    cmd = [ROOST_BIN, "passwd"]
    if delete:
        cmd += ["-D", str(path), user]
    else:
        cmd += (["-c"] if create else []) + ["-b", str(path), user, password]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=15,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{cmd} exited {r.returncode}: {r.stderr}{r.stdout}"


class AuthFiles:
    """A password file (made by mosquitto_passwd) and an ACL file for a broker under test,
    in `directory`. Every ACL written ends with a section for a probe user that may write
    only `probe/<generation>`, so that after a SIGHUP `wait_applied()` can tell when the
    newest file is in force without sleeping."""

    PROBE = "acl-probe"

    def __init__(self, directory, users):
        self.passwd = Path(directory) / "passwd"
        self.acl = Path(directory) / "acl"
        self.users = dict(users)
        self.generation = 0
        mosquitto_passwd(self.passwd, self.PROBE, "probe-pw", create=True)
        for user, password in self.users.items():
            mosquitto_passwd(self.passwd, user, password)

    def add_user(self, user, password):
        self.users[user] = password
        mosquitto_passwd(self.passwd, user, password)

    def remove_user(self, user):
        del self.users[user]
        mosquitto_passwd(self.passwd, user, delete=True)

    def write_acl(self, text):
        """Write the ACL `text` (indentation removed) plus this generation's probe section."""
        self.generation += 1
        body = "\n".join(line.strip() for line in text.strip().splitlines())
        self.acl.write_text(f"{body}\n\nuser {self.PROBE}\n"
                            f"topic write probe/{self.generation}\n")

    def conf(self, allow_anonymous=False, acl=True):
        """The lines of a one-listener configuration using the password file and (with
        `acl`) the ACL file."""
        lines = ["listener {port} 127.0.0.1",
                 f"allow_anonymous {_conf_value(allow_anonymous)}",
                 f"password_file {self.passwd}"]
        return lines + [f"acl_file {self.acl}"] if acl else lines

    def acl_in_force(self, broker):
        try:
            r = rawmqtt.RawClient(broker.port, HOST, V5, 5.0)
        except OSError:
            return False
        try:
            if r.connect(unique_id("probe"), username=self.PROBE, password="probe-pw").rc:
                return False
            return r.publish(f"probe/{self.generation}", b"probe", qos=1).rc < 0x80
        except (rawmqtt.Closed, OSError):
            return False
        finally:
            r.close()

    def wait_applied(self, broker, timeout=10.0):
        """Wait until the broker enforces the ACL written last (after a SIGHUP)."""
        wait_until(lambda: self.acl_in_force(broker), timeout, interval=0.1,
                   message=f"ACL generation {self.generation} in force")


# ---------------------------------------------------------------- background traffic

class Traffic:
    """Two paho clients (v3.1.1 and v5) publishing QoS 1 to each other in a background
    thread. `check()` stops them and asserts every message arrived."""

    def __init__(self, broker, make_client, interval=0.005):
        self.a = make_client(broker, version=V311)
        self.b = make_client(broker, version=V5)
        self.a.ok()
        self.b.ok()
        base = unique_topic("traffic")
        self.to_a, self.to_b = f"{base}/to-a", f"{base}/to-b"
        self.a.subscribe(self.to_a, qos=1)
        self.b.subscribe(self.to_b, qos=1)
        self.interval = interval
        self.sent = 0
        self.error = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._stop.is_set():
                i = self.sent
                self.a.publish(self.to_b, f"a{i}".encode(), qos=1, timeout=15)
                self.b.publish(self.to_a, f"b{i}".encode(), qos=1, timeout=15)
                self.sent = i + 1
                time.sleep(self.interval)
        except BaseException as e:  # reported by check()
            self.error = e

    def wait_sent(self, n, timeout=10.0):
        wait_until(lambda: self.sent >= n or self.error, timeout, message=f"{n} sent")

    def check(self, min_sent=10):
        """Stop publishing; every message in both directions must have arrived."""
        self._stop.set()
        self._thread.join(20)
        assert self.error is None, f"background publisher failed: {self.error!r}"
        n = self.sent
        assert n >= min_sent, f"only {n} background messages were sent"
        got_b = {m.payload for m in self.b.wait_for(n, timeout=15)}
        got_a = {m.payload for m in self.a.wait_for(n, timeout=15)}
        missing = ({f"a{i}".encode() for i in range(n)} - got_b) | (
            {f"b{i}".encode() for i in range(n)} - got_a)
        assert not missing, f"background messages lost: {sorted(missing)[:10]}"
        assert self.a.connected and self.b.connected
        return n
