"""A tiny MQTT 3.1.1 / 5.0 packet builder and parser over a plain socket.

The end-to-end tests use it where a real client library would hide what is on the
wire: malformed input, unacknowledged messages, DUP flags, packet identifiers,
topic aliases and MQTT 5 properties. It encodes only what the tests need and
decodes every packet a broker sends to a client. It does no validation of its own,
so a test can send anything.
"""

import socket
import struct
import time

# Packet types (MQTT 3.1.1 section 2.2.1, MQTT 5 section 2.1.2).
CONNECT = 1
CONNACK = 2
PUBLISH = 3
PUBACK = 4
PUBREC = 5
PUBREL = 6
PUBCOMP = 7
SUBSCRIBE = 8
SUBACK = 9
UNSUBSCRIBE = 10
UNSUBACK = 11
PINGREQ = 12
PINGRESP = 13
DISCONNECT = 14
AUTH = 15

TYPE_NAMES = {
    CONNECT: "CONNECT", CONNACK: "CONNACK", PUBLISH: "PUBLISH", PUBACK: "PUBACK",
    PUBREC: "PUBREC", PUBREL: "PUBREL", PUBCOMP: "PUBCOMP", SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBACK: "UNSUBACK",
    PINGREQ: "PINGREQ", PINGRESP: "PINGRESP", DISCONNECT: "DISCONNECT", AUTH: "AUTH",
}

V311 = 4
V5 = 5

# MQTT 5 properties: identifier -> (name, wire type). Section 2.2.2.2.
_PROPS = {
    0x01: ("PayloadFormatIndicator", "byte"),
    0x02: ("MessageExpiryInterval", "u32"),
    0x03: ("ContentType", "str"),
    0x08: ("ResponseTopic", "str"),
    0x09: ("CorrelationData", "bin"),
    0x0B: ("SubscriptionIdentifier", "varint"),
    0x11: ("SessionExpiryInterval", "u32"),
    0x12: ("AssignedClientIdentifier", "str"),
    0x13: ("ServerKeepAlive", "u16"),
    0x15: ("AuthenticationMethod", "str"),
    0x16: ("AuthenticationData", "bin"),
    0x17: ("RequestProblemInformation", "byte"),
    0x18: ("WillDelayInterval", "u32"),
    0x19: ("RequestResponseInformation", "byte"),
    0x1A: ("ResponseInformation", "str"),
    0x1C: ("ServerReference", "str"),
    0x1F: ("ReasonString", "str"),
    0x21: ("ReceiveMaximum", "u16"),
    0x22: ("TopicAliasMaximum", "u16"),
    0x23: ("TopicAlias", "u16"),
    0x24: ("MaximumQoS", "byte"),
    0x25: ("RetainAvailable", "byte"),
    0x26: ("UserProperty", "pair"),
    0x27: ("MaximumPacketSize", "u32"),
    0x28: ("WildcardSubscriptionAvailable", "byte"),
    0x29: ("SubscriptionIdentifierAvailable", "byte"),
    0x2A: ("SharedSubscriptionAvailable", "byte"),
}
_PROP_IDS = {name: (pid, kind) for pid, (name, kind) in _PROPS.items()}


class Closed(Exception):
    """The peer closed the connection."""


class Timeout(Exception):
    """Nothing (complete) arrived in time."""


class Malformed(Exception):
    """The broker sent bytes this parser cannot decode."""


# ---------------------------------------------------------------- primitives

def varint(n):
    """Variable Byte Integer encoding (any size, so tests can exceed the limit)."""
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        if n:
            byte |= 0x80
        out.append(byte)
        if not n:
            return bytes(out)


def utf8(s):
    """A length-prefixed UTF-8 string; bytes are sent as given (for invalid UTF-8)."""
    b = s if isinstance(s, (bytes, bytearray)) else s.encode("utf-8")
    return struct.pack("!H", len(b)) + bytes(b)


def binary(b):
    return struct.pack("!H", len(b)) + bytes(b)


def fixed(ptype, flags, body):
    return bytes([(ptype << 4) | flags]) + varint(len(body)) + body


class Props:
    """Decoded MQTT 5 properties, in wire order (names from the table above)."""

    def __init__(self, items=()):
        self.items = list(items)

    def get(self, name, default=None):
        for k, v in self.items:
            if k == name:
                return v
        return default

    def all(self, name):
        return [v for k, v in self.items if k == name]

    def __contains__(self, name):
        return any(k == name for k, _ in self.items)

    def __repr__(self):
        return f"Props({self.items!r})"


def encode_props(props):
    """Encode properties given as a dict or a list of (name, value) pairs.

    A dict value that is a list (UserProperty, SubscriptionIdentifier) is encoded once
    per element. UserProperty values are (key, value) pairs.
    """
    if props is None:
        return varint(0)
    items = props.items() if isinstance(props, dict) else props
    out = bytearray()
    for name, value in items:
        pid, kind = _PROP_IDS[name]
        values = value if isinstance(value, list) else [value]
        for v in values:
            out += varint(pid)
            if kind == "byte":
                out += struct.pack("!B", v)
            elif kind == "u16":
                out += struct.pack("!H", v)
            elif kind == "u32":
                out += struct.pack("!I", v)
            elif kind == "varint":
                out += varint(v)
            elif kind == "str":
                out += utf8(v)
            elif kind == "bin":
                out += binary(v)
            elif kind == "pair":
                out += utf8(v[0]) + utf8(v[1])
    return varint(len(out)) + bytes(out)


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def remaining(self):
        return len(self.data) - self.pos

    def take(self, n):
        if self.pos + n > len(self.data):
            raise Malformed(f"need {n} bytes at {self.pos}, have {self.remaining()}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u32(self):
        return struct.unpack("!I", self.take(4))[0]

    def varint(self):
        mult, value = 1, 0
        for _ in range(4):
            b = self.u8()
            value += (b & 0x7F) * mult
            if not b & 0x80:
                return value
            mult *= 128
        raise Malformed("variable byte integer longer than 4 bytes")

    def str(self):
        return self.take(self.u16()).decode("utf-8")

    def bin(self):
        return self.take(self.u16())

    def props(self):
        end = self.varint() + self.pos
        items = []
        while self.pos < end:
            pid = self.varint()
            if pid not in _PROPS:
                raise Malformed(f"unknown property 0x{pid:02x}")
            name, kind = _PROPS[pid]
            if kind == "byte":
                v = self.u8()
            elif kind == "u16":
                v = self.u16()
            elif kind == "u32":
                v = self.u32()
            elif kind == "varint":
                v = self.varint()
            elif kind == "str":
                v = self.str()
            elif kind == "bin":
                v = self.bin()
            else:
                v = (self.str(), self.str())
            items.append((name, v))
        if self.pos != end:
            raise Malformed("property length mismatch")
        return Props(items)


# ---------------------------------------------------------------- builders

def connect(client_id="", version=V311, clean=True, keepalive=60, will=None,
            username=None, password=None, props=None, protocol_name="MQTT"):
    """CONNECT. `will` is a dict: topic, payload, qos=0, retain=False, props=None (v5)."""
    flags = 0
    if clean:
        flags |= 0x02
    payload = utf8(client_id)
    if will is not None:
        flags |= 0x04 | (will.get("qos", 0) << 3) | (0x20 if will.get("retain") else 0)
        if version == V5:
            payload += encode_props(will.get("props"))
        payload += utf8(will["topic"]) + binary(_bytes(will.get("payload", b"")))
    if username is not None:
        flags |= 0x80
        payload += utf8(username)
    if password is not None:
        flags |= 0x40
        payload += binary(_bytes(password))
    var = utf8(protocol_name) + bytes([version, flags]) + struct.pack("!H", keepalive)
    if version == V5:
        var += encode_props(props)
    return fixed(CONNECT, 0, var + payload)


def publish(topic, payload=b"", qos=0, retain=False, dup=False, pid=None, props=None,
            version=V311):
    flags = (0x08 if dup else 0) | (qos << 1) | (0x01 if retain else 0)
    body = utf8(topic)
    if qos > 0:
        body += struct.pack("!H", pid if pid is not None else 1)
    if version == V5:
        body += encode_props(props)
    return fixed(PUBLISH, flags, body + _bytes(payload))


def sub_options(qos=0, no_local=False, retain_as_published=False, retain_handling=0):
    return qos | (0x04 if no_local else 0) | (0x08 if retain_as_published else 0) | (
        retain_handling << 4)


def subscribe(pid, filters, props=None, version=V311):
    """SUBSCRIBE. `filters` is a list of (filter, options byte or QoS)."""
    body = struct.pack("!H", pid)
    if version == V5:
        body += encode_props(props)
    for flt, opts in filters:
        body += utf8(flt) + bytes([opts])
    return fixed(SUBSCRIBE, 0x02, body)


def unsubscribe(pid, filters, props=None, version=V311):
    body = struct.pack("!H", pid)
    if version == V5:
        body += encode_props(props)
    for flt in filters:
        body += utf8(flt)
    return fixed(UNSUBSCRIBE, 0x02, body)


def _ack(ptype, flags, pid, rc, props, version):
    body = struct.pack("!H", pid)
    if version == V5 and (rc is not None or props is not None):
        body += bytes([rc or 0])
        if props is not None:
            body += encode_props(props)
    return fixed(ptype, flags, body)


def puback(pid, rc=None, props=None, version=V311):
    return _ack(PUBACK, 0, pid, rc, props, version)


def pubrec(pid, rc=None, props=None, version=V311):
    return _ack(PUBREC, 0, pid, rc, props, version)


def pubrel(pid, rc=None, props=None, version=V311):
    return _ack(PUBREL, 0x02, pid, rc, props, version)


def pubcomp(pid, rc=None, props=None, version=V311):
    return _ack(PUBCOMP, 0, pid, rc, props, version)


def pingreq():
    return fixed(PINGREQ, 0, b"")


def disconnect(rc=None, props=None, version=V311):
    body = b""
    if version == V5 and (rc is not None or props is not None):
        body = bytes([rc or 0])
        if props is not None:
            body += encode_props(props)
    return fixed(DISCONNECT, 0, body)


def auth(rc=0, props=None):
    return fixed(AUTH, 0, bytes([rc]) + encode_props(props))


def _bytes(v):
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


# ---------------------------------------------------------------- parser

class Packet:
    """One decoded packet. Fields present depend on the type."""

    def __init__(self, ptype, flags, body):
        self.type = ptype
        self.flags = flags
        self.body = body
        self.props = Props()
        self.rc = 0
        self.pid = None

    @property
    def name(self):
        return TYPE_NAMES.get(self.type, f"type{self.type}")

    def __repr__(self):
        fields = {k: v for k, v in self.__dict__.items() if k not in ("body", "flags", "type")}
        return f"<{self.name} {fields}>"


def decode(ptype, flags, body, version):
    p = Packet(ptype, flags, body)
    r = _Reader(body)
    v5 = version == V5
    if ptype == CONNACK:
        p.session_present = bool(r.u8() & 0x01)
        p.rc = r.u8()
        if v5 and r.remaining():
            p.props = r.props()
    elif ptype == PUBLISH:
        p.dup = bool(flags & 0x08)
        p.qos = (flags >> 1) & 0x03
        p.retain = bool(flags & 0x01)
        p.topic = r.str()
        if p.qos:
            p.pid = r.u16()
        if v5:
            p.props = r.props()
        p.payload = bytes(r.take(r.remaining()))
        p.alias = p.props.get("TopicAlias")
    elif ptype in (PUBACK, PUBREC, PUBREL, PUBCOMP):
        p.pid = r.u16()
        if v5 and r.remaining():
            p.rc = r.u8()
            if r.remaining():
                p.props = r.props()
    elif ptype in (SUBACK, UNSUBACK):
        p.pid = r.u16()
        if v5:
            p.props = r.props()
        p.codes = list(r.take(r.remaining()))
    elif ptype in (DISCONNECT, AUTH):
        if v5 and r.remaining():
            p.rc = r.u8()
            if r.remaining():
                p.props = r.props()
    return p


class RawClient:
    """A blocking MQTT connection over a plain TCP socket."""

    def __init__(self, port, host="127.0.0.1", version=V311, timeout=5.0):
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.aliases = {}
        self.eof = False
        self.next_pid = 1

    # -- bytes
    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with a TCP reset, as a crashed client would."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def _fill(self, deadline):
        if self.eof:
            raise Closed()
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise Timeout() from None
        except (ConnectionResetError, BrokenPipeError):
            self.eof = True
            raise Closed() from None
        if not chunk:
            self.eof = True
            raise Closed()
        self.buf += chunk

    def _try_split(self):
        if len(self.buf) < 2:
            return None
        mult, length, i = 1, 0, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            length += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
            if i > 4:
                raise Malformed("remaining length too long")
        if len(self.buf) < i + length:
            return None
        first = self.buf[0]
        body = bytes(self.buf[i:i + length])
        del self.buf[:i + length]
        return first >> 4, first & 0x0F, body

    def read(self, timeout=5.0):
        """The next packet; raises Timeout or Closed. Resolves incoming topic aliases."""
        deadline = time.monotonic() + timeout
        while True:
            split = self._try_split()
            if split is not None:
                p = decode(*split, self.version)
                if p.type == PUBLISH and p.alias is not None:
                    if p.topic:
                        self.aliases[p.alias] = p.topic
                    else:
                        p.topic = self.aliases.get(p.alias)
                return p
            self._fill(deadline)

    def expect(self, ptype, timeout=5.0):
        p = self.read(timeout)
        assert p.type == ptype, f"expected {TYPE_NAMES[ptype]}, got {p!r}"
        return p

    def read_all(self, timeout):
        """Every packet that arrives within `timeout` seconds (stops early at close)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            try:
                out.append(self.read(left))
            except (Timeout, Closed):
                return out

    def wait_closed(self, timeout=5.0):
        """Wait until the broker closes the connection; returns the packets read first."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                got.append(self.read(max(0.0, deadline - time.monotonic())))
            except Closed:
                return got
            except Timeout:
                raise AssertionError(
                    f"connection still open after {timeout}s; received {got!r}") from None

    def is_open(self, wait=0.3):
        """True if the connection is still open after `wait` seconds (consumes nothing
        but may buffer packets that arrive)."""
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                self._fill(deadline)
        except Timeout:
            return True
        except Closed:
            return False
        return True

    # -- packets
    def pid(self):
        p = self.next_pid
        self.next_pid = p % 65535 + 1
        return p

    def connect(self, client_id="", **kw):
        """Send CONNECT and return the CONNACK."""
        self.send(connect(client_id, version=self.version, **kw))
        return self.expect(CONNACK)

    def subscribe(self, filters, props=None, timeout=5.0):
        """Subscribe and return the SUBACK. `filters`: list of (filter, options) or one
        filter string (QoS 0)."""
        if isinstance(filters, str):
            filters = [(filters, 0)]
        pid = self.pid()
        self.send(subscribe(pid, filters, props, self.version))
        ack = self.expect(SUBACK, timeout)
        assert ack.pid == pid
        return ack

    def unsubscribe(self, filters, props=None):
        pid = self.pid()
        self.send(unsubscribe(pid, filters, props, self.version))
        ack = self.expect(UNSUBACK)
        assert ack.pid == pid
        return ack

    def publish(self, topic, payload=b"", qos=0, retain=False, props=None, dup=False,
                pid=None):
        """Publish; for QoS 1/2 complete the handshake and return the final ack."""
        if qos and pid is None:
            pid = self.pid()
        self.send(publish(topic, payload, qos, retain, dup, pid, props, self.version))
        if qos == 1:
            ack = self.expect(PUBACK)
            assert ack.pid == pid
            return ack
        if qos == 2:
            rec = self.expect(PUBREC)
            assert rec.pid == pid
            if rec.rc >= 0x80:
                return rec
            self.send(pubrel(pid, version=self.version))
            comp = self.expect(PUBCOMP)
            assert comp.pid == pid
            return comp
        return None

    def ack(self, p):
        """Acknowledge a received PUBLISH as its QoS requires (QoS 2: PUBREC only)."""
        if p.qos == 1:
            self.send(puback(p.pid, version=self.version))
        elif p.qos == 2:
            self.send(pubrec(p.pid, version=self.version))

    def receive_message(self, timeout=5.0):
        """Read the next PUBLISH, completing the QoS 1/2 handshake as a receiver."""
        p = self.expect(PUBLISH, timeout)
        if p.qos == 1:
            self.send(puback(p.pid, version=self.version))
        elif p.qos == 2:
            self.send(pubrec(p.pid, version=self.version))
            rel = self.expect(PUBREL, timeout)
            assert rel.pid == p.pid
            self.send(pubcomp(p.pid, version=self.version))
        return p

    def disconnect(self, rc=None, props=None):
        try:
            self.send(disconnect(rc, props, self.version))
        except OSError:
            pass
        self.close()
