"""MQTT over WebSocket from a real browser: headless Debian Chromium (/usr/bin/chromium) driven
by Playwright opens `new WebSocket(url, ["mqtt"])` to a `protocol websockets` listener — the
browser's own upgrade request (Origin, User-Agent, its extensions offer) and its own framing —
and speaks MQTT 3.1.1 in binary messages (the few packets are built in the page), while
mosquitto_pub and mosquitto_sub are on the broker's TCP listener. The page is served from
127.0.0.1 by a small HTTP server of the test's own, as a local web app would be (Chromium's
local network access checks refuse loopback WebSockets from about:blank).

`roost_only`: Debian's Mosquitto 2.0.11 has no WebSocket support.
"""

import http.server
import threading
from pathlib import Path

import pytest

from harness import IS_MOSQUITTO, MosquittoSub, mosquitto_pub, unique_id, unique_topic, wait_until

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.roost_only

CHROMIUM = "/usr/bin/chromium"
WS_CONF = ["listener {port} 127.0.0.1", "listener {port2} 127.0.0.1", "protocol websockets",
           "allow_anonymous true"]

# A minimal MQTT 3.1.1 client in the page: CONNECT, SUBSCRIBE (QoS 1), PUBLISH (QoS 0), PUBACK
# for what it receives; every packet received is recorded in window.mq.
CLIENT_JS = """
([url, clientId, subTopic]) => new Promise((resolve) => {
  const enc = new TextEncoder();
  const utf8 = (s) => { const b = enc.encode(s); return [b.length >> 8, b.length & 255, ...b]; };
  const varint = (n) => { const o = []; do { let d = n % 128; n = Math.floor(n / 128);
    if (n > 0) d |= 128; o.push(d); } while (n > 0); return o; };
  const packet = (type, flags, body) =>
    new Uint8Array([(type << 4) | flags, ...varint(body.length), ...body]);
  const mq = window.mq = { packets: [], messages: [], protocol: null, closed: false, buf: [] };
  const ws = window.mqws = new WebSocket(url, ["mqtt"]);
  ws.binaryType = "arraybuffer";
  window.mqPublish = (topic, payload) =>
    ws.send(packet(3, 0, [...utf8(topic), ...enc.encode(payload)]));
  ws.onopen = () => {
    mq.protocol = ws.protocol;
    ws.send(packet(1, 0, [...utf8("MQTT"), 4, 2, 0, 60, ...utf8(clientId)]));
    ws.send(packet(8, 2, [0, 1, ...utf8(subTopic), 1]));
    resolve(true);
  };
  ws.onerror = () => resolve(false);
  ws.onclose = () => { mq.closed = true; };
  ws.onmessage = (event) => {
    mq.buf.push(...new Uint8Array(event.data));
    for (;;) {
      const b = mq.buf;
      if (b.length < 2) return;
      let len = 0, mult = 1, i = 1;
      for (;;) { if (i >= b.length) return; const d = b[i++]; len += (d & 127) * mult;
        mult *= 128; if (!(d & 128)) break; }
      if (b.length < i + len) return;
      const type = b[0] >> 4, qos = (b[0] >> 1) & 3, body = b.slice(i, i + len);
      mq.buf = b.slice(i + len);
      mq.packets.push(type);
      if (type === 3) {
        const tlen = (body[0] << 8) | body[1];
        const topic = new TextDecoder().decode(new Uint8Array(body.slice(2, 2 + tlen)));
        let at = 2 + tlen;
        if (qos > 0) { ws.send(packet(4, 0, [body[at], body[at + 1]])); at += 2; }
        const payload = new TextDecoder().decode(new Uint8Array(body.slice(at)));
        mq.messages.push([topic, payload, qos]);
      }
    }
  };
})
"""


@pytest.fixture(scope="module")
def chromium():
    if IS_MOSQUITTO:
        pytest.skip("Debian's Mosquitto has no WebSocket listener")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./scripts/test does)")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield browser
        browser.close()


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>roost ws test</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin():
    """An HTTP server on 127.0.0.1 serving an empty page: the page's origin."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(chromium, origin):
    context = chromium.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(origin)
    yield page
    context.close()
    assert not errors, errors


def mq(page):
    return page.evaluate("() => window.mq")


@pytest.mark.parametrize("path", ["/mqtt", "/"], ids=["path_mqtt", "path_root"])
def test_chromium_websocket_and_tcp_clients_exchange_messages(broker, page, path):
    b = broker(conf=WS_CONF)
    topic = unique_topic("browser")
    url = f"ws://127.0.0.1:{b.ports[1]}{path}"
    assert page.evaluate(CLIENT_JS, [url, unique_id("chromium"), f"{topic}/to-browser"]), \
        f"the browser could not open {url}; log:\n{b.log_text()[-2000:]}"
    # CONNACK (2) then SUBACK (9), and the subprotocol the browser saw answered.
    wait_until(lambda: mq(page)["packets"][:2] == [2, 9], 10, message="CONNACK and SUBACK")
    assert mq(page)["protocol"] == "mqtt"

    mosquitto_pub(b, f"{topic}/to-browser", "from mosquitto_pub", qos=1)
    wait_until(lambda: mq(page)["messages"], 10, message="the browser's message")
    assert mq(page)["messages"] == [[f"{topic}/to-browser", "from mosquitto_pub", 1]]

    sub = MosquittoSub(b, f"{topic}/to-tcp", qos=1)
    try:
        sub.wait_subscribed()
        page.evaluate("([t, p]) => window.mqPublish(t, p)", [f"{topic}/to-tcp", "from chromium"])
        assert sub.wait_for(1) == [f"0 0 {topic}/to-tcp from chromium"]
    finally:
        sub.stop()
    assert not mq(page)["closed"]
