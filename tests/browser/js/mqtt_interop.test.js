// Interoperability of web/js/mqtt.js with a broker nobody here wrote: Debian's mosquitto, over
// TCP (its Debian build has no WebSocket listener), through an adapter that gives a TCP socket
// the browser WebSocket's shape. The same client then meets Roost over a real WebSocket in the
// Playwright tests. Skipped when mosquitto is not installed.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const net = require("node:net");
const path = require("node:path");
const fs = require("node:fs");
const os = require("node:os");
const { spawn, execFileSync } = require("node:child_process");
const mqtt = require(path.join(__dirname, "..", "..", "..", "web", "js", "mqtt.js"));

const MOSQUITTO = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].find((p) => fs.existsSync(p));

// Looks like the browser's WebSocket to MqttClient; carries the bytes over plain TCP.
class TcpAsWebSocket {
  constructor(url) {
    const u = new URL(url);
    this.sock = net.connect(Number(u.port), u.hostname);
    this.sock.on("connect", () => this.onopen && this.onopen());
    this.sock.on("data", (buf) => this.onmessage && this.onmessage({ data: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) }));
    this.sock.on("error", () => this.onerror && this.onerror({}));
    this.sock.on("close", () => this.onclose && this.onclose({ code: 1006, reason: "" }));
  }
  send(bytes) { this.sock.write(Buffer.from(bytes)); }
  close() { this.sock.end(); }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitListening(port, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error("mosquitto did not listen on " + port);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function nextMessage(client, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message within " + ms + " ms")), ms);
    client.on("message", (m) => { clearTimeout(timer); resolve(m); });
  });
}

test("QoS 0 and 1 both ways with mosquitto", { skip: MOSQUITTO ? false : "mosquitto is not installed", timeout: 30000 }, async (t) => {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "roost-mqttjs-"));
  const conf = path.join(dir, "mosquitto.conf");
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n${process.getuid && process.getuid() === 0 ? "user root\n" : ""}`);
  const broker = spawn(MOSQUITTO, ["-c", conf], { stdio: "ignore" });
  t.after(() => { broker.kill("SIGTERM"); fs.rmSync(dir, { recursive: true, force: true }); });
  await waitListening(port, 10000);

  const client = new mqtt.MqttClient(`ws://127.0.0.1:${port}/mqtt`, { clientId: "mqttjs-interop", keepalive: 1, WebSocket: TcpAsWebSocket });
  const connack = await client.connect();
  assert.equal(connack.sessionPresent, false);
  assert.equal(await client.subscribe("interop/#", 1), 1);

  let got = nextMessage(client, 5000);
  await client.publish("interop/one", "qos1 é", { qos: 1 });
  let m = await got;
  assert.equal(m.topic, "interop/one");
  assert.equal(m.qos, 1);
  assert.equal(Buffer.from(m.payload).toString(), "qos1 é");

  got = nextMessage(client, 5000);
  await client.publish("interop/zero", new Uint8Array([0, 255, 1]), { qos: 0 });
  m = await got;
  assert.equal(m.qos, 0);
  assert.deepEqual(Array.from(m.payload), [0, 255, 1]);

  // A message from mosquitto_pub, at QoS 1: our PUBACK completes its flow.
  got = nextMessage(client, 5000);
  execFileSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-t", "interop/pub", "-q", "1", "-m", "from mosquitto_pub"]);
  m = await got;
  assert.equal(Buffer.from(m.payload).toString(), "from mosquitto_pub");

  // keepalive 1 s: survive a few PINGREQ/PINGRESP rounds.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(client.connected, true);

  await client.unsubscribe("interop/#");
  const closed = new Promise((resolve) => client.on("close", resolve));
  client.disconnect();
  assert.equal((await closed).error, null);
});
