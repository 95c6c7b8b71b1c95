"""A raw WebSocket client over a plain socket (RFC 6455), written for the tests: the upgrade
request and the masked frames are built by hand, so a test decides how MQTT bytes are cut
into frames and can send what a WebSocket library would refuse to (text frames, garbage).

`WsMqtt` is `rawmqtt.RawClient` over WebSocket: every packet helper (connect, subscribe,
publish, expect, wait_closed...) works unchanged; `send()` sends one binary frame and
reading joins the binary frames into the MQTT byte stream, answering pings.
"""

import base64
import hashlib
import os
import socket
import struct
import time

import rawmqtt

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key):
    """The Sec-WebSocket-Accept value a server must answer `key` with (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(opcode, payload=b"", fin=True, mask=True):
    """One frame; a client's frames are masked (RFC 6455 §5.3)."""
    payload = bytes(payload)
    head = bytearray([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head.append(bit | n)
    elif n < 65536:
        head.append(bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(bit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade_request(host, port, path="/mqtt", subprotocol="mqtt", key=None, extra=()):
    key = key or base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if subprotocol:
        lines.append(f"Sec-WebSocket-Protocol: {subprotocol}")
    lines += list(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


class HttpAnswer:
    """An HTTP response head (and whatever body followed before the server closed)."""

    def __init__(self, raw):
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status_line = lines[0]
        parts = self.status_line.split(" ", 2)
        self.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def __repr__(self):
        return f"<HttpAnswer {self.status_line!r} {self.headers!r} {self.body[:200]!r}>"


def read_http_answer(sock, timeout=5.0, whole=False):
    """Read an HTTP response head from `sock`; with `whole`, everything until the server
    closes (for refusals, whose body ends at the close)."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    while whole or b"\r\n\r\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise rawmqtt.Timeout()
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            raise rawmqtt.Timeout() from None
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    if b"\r\n\r\n" not in data:
        raise rawmqtt.Closed()
    head_end = data.index(b"\r\n\r\n") + 4
    return HttpAnswer(bytes(data[:head_end]) + (bytes(data[head_end:]) if whole else b"")), \
        bytes(data[head_end:])


class WsMqtt(rawmqtt.RawClient):
    """A blocking MQTT connection over WebSocket on a plain socket."""

    def __init__(self, port, host="127.0.0.1", version=rawmqtt.V311, timeout=5.0,
                 path="/mqtt", subprotocol="mqtt", wrap=None):
        """`wrap(sock)` returns the socket to speak WebSocket on (an `ssl` socket for wss)."""
        self.version = version
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if wrap is not None:
            self.sock = wrap(self.sock)
        self.buf = bytearray()
        self.aliases = {}
        self.eof = False
        self.next_pid = 1
        self.frames = bytearray()  # received bytes not yet cut into frames
        self.close_frame = None
        self.non_binary = []  # (opcode, payload) of frames other than binary/ping
        request, key = upgrade_request(host, port, path, subprotocol)
        self.sock.sendall(request)
        self.answer, early = read_http_answer(self.sock, timeout)
        assert self.answer.status == 101, f"upgrade refused: {self.answer!r}"
        assert self.answer.headers.get("sec-websocket-accept") == accept_key(key), self.answer
        self.frames += early

    # -- frames
    def send_frame(self, opcode, payload=b"", fin=True):
        self.sock.sendall(frame(opcode, payload, fin))

    def send(self, data):
        """MQTT bytes in one binary frame."""
        self.send_frame(BINARY, data)

    def send_split(self, data, cuts):
        """MQTT bytes in several binary frames (each a whole message), cut at `cuts`."""
        bounds = [0, *cuts, len(data)]
        for a, b in zip(bounds, bounds[1:]):
            self.send_frame(BINARY, data[a:b])

    def _take_frame(self):
        """One whole frame off `self.frames`, or None."""
        f = self.frames
        if len(f) < 2:
            return None
        opcode, masked, n, i = f[0] & 0x0F, f[1] & 0x80, f[1] & 0x7F, 2
        if n == 126:
            if len(f) < 4:
                return None
            n, i = struct.unpack("!H", f[2:4])[0], 4
        elif n == 127:
            if len(f) < 10:
                return None
            n, i = struct.unpack("!Q", f[2:10])[0], 10
        assert not masked, "a server's frames are never masked (RFC 6455 §5.1)"
        if len(f) < i + n:
            return None
        payload = bytes(f[i:i + n])
        del f[:i + n]
        return opcode, payload

    def _fill(self, deadline):
        """Read until at least one more MQTT byte (or a close) has arrived."""
        while True:
            got = self._take_frame()
            if got is None:
                if self.eof:
                    raise rawmqtt.Closed()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise rawmqtt.Timeout()
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    raise rawmqtt.Timeout() from None
                except (ConnectionResetError, BrokenPipeError):
                    self.eof = True
                    raise rawmqtt.Closed() from None
                if not chunk:
                    self.eof = True
                    raise rawmqtt.Closed()
                self.frames += chunk
                continue
            opcode, payload = got
            if opcode in (BINARY, CONTINUATION):
                if payload:
                    self.buf += payload
                    return
            elif opcode == PING:
                self.send_frame(PONG, payload)
            elif opcode == CLOSE:
                self.close_frame = payload
                self.eof = True
                raise rawmqtt.Closed()
            else:
                self.non_binary.append((opcode, payload))
