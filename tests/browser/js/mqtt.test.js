// Unit tests of the dashboard's browser MQTT client (web/js/mqtt.js), run by `node --test` on
// node 20 with no packages: byte-exact encodings checked against MQTT 3.1.1 by hand, the streaming
// parser under every split of the stream, and the client's flows driven through a fake WebSocket
// and fake timers.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const mqtt = require(path.join(__dirname, "..", "..", "..", "web", "js", "mqtt.js"));

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const bytesOf = (hexStr) => Uint8Array.from(Buffer.from(hexStr.replace(/\s+/g, ""), "hex"));

test("remaining length uses 1 to 4 bytes at the spec's boundaries (MQTT 2.2.3)", () => {
  assert.deepEqual(mqtt.encodeLength(0), [0x00]);
  assert.deepEqual(mqtt.encodeLength(127), [0x7f]);
  assert.deepEqual(mqtt.encodeLength(128), [0x80, 0x01]);
  assert.deepEqual(mqtt.encodeLength(16383), [0xff, 0x7f]);
  assert.deepEqual(mqtt.encodeLength(16384), [0x80, 0x80, 0x01]);
  assert.deepEqual(mqtt.encodeLength(2097152), [0x80, 0x80, 0x80, 0x01]);
  assert.deepEqual(mqtt.encodeLength(268435455), [0xff, 0xff, 0xff, 0x7f]);
  assert.throws(() => mqtt.encodeLength(268435456), mqtt.MqttError);
});

test("CONNECT with clean session, keepalive, user name and password is byte exact", () => {
  const b = mqtt.encodeConnect({ clientId: "c1", keepalive: 60, clean: true, username: "u", password: "p" });
  assert.equal(hex(b), "1014" + "00044d5154540" + "4" + "c2" + "003c" + "0002" + "6331" + "0001" + "75" + "0001" + "70");
});

test("CONNECT without credentials and with clean=false sets no flags", () => {
  const b = mqtt.encodeConnect({ clientId: "", keepalive: 0, clean: false });
  assert.equal(hex(b), "100c00044d515454040000000000");
});

test("CONNECT carries a will with its QoS and retain flags", () => {
  const b = mqtt.encodeConnect({ clientId: "w", will: { topic: "t", payload: "x", qos: 1, retain: true } });
  // flags: clean 0x02 | will 0x04 | qos1 0x08 | retain 0x20 = 0x2e
  // remaining length 19: 10 of variable header + 3 client id + 3 will topic + 3 will payload
  assert.equal(hex(b), "1013" + "00044d515454" + "04" + "2e" + "003c" + "000177" + "000174" + "000178");
});

test("a password without a user name is refused (MQTT-3.1.2-22)", () => {
  assert.throws(() => mqtt.encodeConnect({ clientId: "x", password: "p" }), /user name/);
});

test("SUBSCRIBE has flags 0010 and lists filter and QoS (MQTT-3.8.1-1)", () => {
  assert.equal(hex(mqtt.encodeSubscribe(1, [{ topic: "a/#", qos: 1 }])), "820800010003612f2301");
  assert.throws(() => mqtt.encodeSubscribe(1, [{ topic: "a/#/b", qos: 0 }]), /#/);
  assert.throws(() => mqtt.encodeSubscribe(1, [{ topic: "a+", qos: 0 }]), /\+/);
  assert.throws(() => mqtt.encodeSubscribe(0, [{ topic: "a", qos: 0 }]), /packet identifier/);
});

test("UNSUBSCRIBE has flags 0010 (MQTT-3.10.1-1)", () => {
  assert.equal(hex(mqtt.encodeUnsubscribe(7, ["a/+"])), "a2070007000361" + "2f2b");
});

test("PUBLISH encodes QoS, retain, packet id and UTF-8 payload", () => {
  assert.equal(hex(mqtt.encodePublish({ topic: "t", payload: "hi", qos: 1, retain: true, packetId: 10 })), "33070001740" + "00a6869");
  assert.equal(hex(mqtt.encodePublish({ topic: "t", payload: "é" })), "3005000174c3a9");
  assert.throws(() => mqtt.encodePublish({ topic: "a/#", payload: "" }), /cannot contain/);
  assert.throws(() => mqtt.encodePublish({ topic: "", payload: "" }), /empty/);
});

test("acks, PINGREQ and DISCONNECT", () => {
  assert.equal(hex(mqtt.encodeAck(mqtt.TYPE.PUBACK, 0x1234)), "40021234");
  assert.equal(hex(mqtt.encodeAck(mqtt.TYPE.PUBREL, 1)), "62020001");
  assert.equal(hex(mqtt.encodePingreq()), "c000");
  assert.equal(hex(mqtt.encodeDisconnect()), "e000");
});

test("the parser yields the same packets for every split of the stream", () => {
  const stream = Uint8Array.from([
    ...bytesOf("20020000"), // CONNACK
    ...mqtt.encodePublish({ topic: "x/y", payload: "z".repeat(300), qos: 1, packetId: 5 }), // 2-byte length
    ...bytesOf("d000"), // PINGRESP
  ]);
  const whole = new mqtt.Parser().push(stream).map(mqtt.decode);
  assert.equal(whole.length, 3);
  assert.equal(whole[1].payload.length, 300);
  for (let cut = 1; cut < stream.length; cut += 7) {
    const p = new mqtt.Parser();
    const got = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut))].map(mqtt.decode);
    assert.deepEqual(got, whole, "split at " + cut);
  }
  const p = new mqtt.Parser();
  const one = [];
  for (const b of stream) one.push(...p.push(Uint8Array.of(b)));
  assert.deepEqual(one.map(mqtt.decode), whole);
});

test("the parser rejects a 5-byte remaining length and packets over its limit", () => {
  assert.throws(() => new mqtt.Parser().push(bytesOf("30ffffffff01")), /malformed remaining length/);
  assert.throws(() => new mqtt.Parser(100).push(bytesOf("30ff01")), /exceeds/);
});

test("decode reads PUBLISH flags and rejects malformed packets", () => {
  const [raw] = new mqtt.Parser().push(bytesOf("3b0700017400096869"));
  const pub = mqtt.decode(raw);
  assert.equal(pub.topic, "t");
  assert.equal(pub.qos, 1);
  assert.equal(pub.retain, true);
  assert.equal(pub.dup, true);
  assert.equal(pub.packetId, 9);
  assert.equal(Buffer.from(pub.payload).toString(), "hi");
  assert.throws(() => mqtt.decode({ type: 3, flags: 6, body: bytesOf("000174") }), /QoS 3/);
  assert.throws(() => mqtt.decode({ type: 3, flags: 0, body: bytesOf("0002ff") }), /truncated/);
  assert.throws(() => mqtt.decode({ type: 3, flags: 0, body: bytesOf("0001ff") }), /UTF-8/);
  assert.throws(() => mqtt.decode({ type: 2, flags: 0, body: bytesOf("00") }), /CONNACK/);
  assert.throws(() => mqtt.decode({ type: 1, flags: 0, body: bytesOf("") }), /unexpected packet type 1/);
  assert.deepEqual(mqtt.decode({ type: 9, flags: 0, body: bytesOf("00030180") }), { type: "suback", packetId: 3, granted: [1, 0x80] });
});

// ---------- client flows with a fake socket ----------

class FakeSocket {
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.sent = [];
    this.closed = false;
    FakeSocket.last = this;
  }
  send(data) { this.sent.push(hex(data)); }
  close() { this.closed = true; }
  open() { this.onopen(); }
  server(hexStr) { this.onmessage({ data: bytesOf(hexStr).buffer }); }
  drop(code) { this.onclose({ code, reason: "" }); }
}

function fakeTimers() {
  const t = { intervals: [], timeouts: [] };
  t.setTimeout = (f, ms) => { t.timeouts.push({ f, ms, live: true }); return t.timeouts.length - 1; };
  t.clearTimeout = (id) => { if (t.timeouts[id]) t.timeouts[id].live = false; };
  t.setInterval = (f, ms) => { t.intervals.push({ f, ms, live: true }); return t.intervals.length - 1; };
  t.clearInterval = (id) => { if (t.intervals[id]) t.intervals[id].live = false; };
  t.tick = () => { for (const i of t.intervals) if (i.live) i.f(); };
  t.expire = () => { for (const o of t.timeouts) if (o.live) { o.live = false; o.f(); } };
  return t;
}

async function connected(extra) {
  const timers = fakeTimers();
  const client = new mqtt.MqttClient("ws://h/mqtt", Object.assign({ clientId: "c1", keepalive: 30, WebSocket: FakeSocket }, timers, extra));
  const done = client.connect();
  const ws = FakeSocket.last;
  ws.open();
  ws.server("20020000");
  await done;
  return { client, ws, timers };
}

test("connect opens the socket with subprotocol mqtt and resolves on CONNACK 0", async () => {
  const { client, ws } = await connected();
  assert.deepEqual(ws.protocols, ["mqtt"]);
  assert.equal(ws.binaryType, "arraybuffer");
  assert.equal(ws.sent[0], hex(mqtt.encodeConnect({ clientId: "c1", keepalive: 30 })));
  assert.equal(client.connected, true);
});

test("a refused CONNACK rejects connect with the reason", async () => {
  const client = new mqtt.MqttClient("ws://h/mqtt", Object.assign({ clientId: "c", WebSocket: FakeSocket }, fakeTimers()));
  const done = client.connect();
  FakeSocket.last.open();
  FakeSocket.last.server("20020005");
  await assert.rejects(done, /not authorized/);
  assert.equal(FakeSocket.last.closed, true);
});

test("connect times out without CONNACK and fails when the server closes first", async () => {
  const timers = fakeTimers();
  const client = new mqtt.MqttClient("ws://h/mqtt", Object.assign({ clientId: "c", WebSocket: FakeSocket, connectTimeout: 5000 }, timers));
  const done = client.connect();
  FakeSocket.last.open();
  timers.expire();
  await assert.rejects(done, /no CONNACK within 5 s/);

  const c2 = new mqtt.MqttClient("ws://h/mqtt", Object.assign({ clientId: "c", WebSocket: FakeSocket }, fakeTimers()));
  const d2 = c2.connect();
  FakeSocket.last.drop(1006);
  await assert.rejects(d2, /before CONNACK \(code 1006 closed abnormally\)/);
});

test("subscribe resolves with the granted QoS; a 0x80 SUBACK rejects", async () => {
  const { client, ws } = await connected();
  const sub = client.subscribe("a/#", 1);
  assert.equal(ws.sent[1], "820800010003612f2301");
  ws.server("9003000101");
  assert.equal(await sub, 1);
  const bad = client.subscribe("b", 0);
  ws.server("9003000280");
  await assert.rejects(bad, /refused the subscription/);
});

test("an inbound QoS 1 PUBLISH is delivered and acknowledged with its packet id", async () => {
  const { client, ws } = await connected();
  const got = [];
  client.on("message", (m) => got.push(m));
  ws.server("32080003612f62abcd7a");
  assert.equal(got.length, 1);
  assert.equal(got[0].topic, "a/b");
  assert.equal(Buffer.from(got[0].payload).toString(), "z");
  assert.equal(ws.sent.at(-1), "4002abcd");
});

test("an inbound QoS 2 flow is answered PUBREC/PUBCOMP and a DUP resend is shown once", async () => {
  const { client, ws } = await connected();
  const got = [];
  client.on("message", (m) => got.push(m));
  ws.server("3406000174000778");
  ws.server("3c06000174000778");
  assert.equal(got.length, 1);
  assert.equal(ws.sent.at(-1), "50020007");
  ws.server("62020007");
  assert.equal(ws.sent.at(-1), "70020007");
});

test("QoS 1 publish resolves only on its PUBACK; QoS 0 resolves at once", async () => {
  const { client, ws } = await connected();
  let acked = false;
  const p = client.publish("t", "hi", { qos: 1 }).then(() => { acked = true; });
  assert.equal(ws.sent.at(-1), "3207000174000168" + "69");
  await Promise.resolve();
  assert.equal(acked, false);
  ws.server("40020001");
  await p;
  assert.equal(acked, true);
  await client.publish("t", "x", { qos: 0, retain: true });
  assert.equal(ws.sent.at(-1), "3104000174" + "78");
  await assert.rejects(client.publish("t/#", "x"), /cannot contain/);
  await assert.rejects(client.publish("t", "x", { qos: 2 }), /QoS 0 or 1/);
});

test("an acknowledgement for an unknown packet id is a protocol error that closes", async () => {
  const { client, ws } = await connected();
  const closes = [];
  client.on("close", (e) => closes.push(e));
  ws.server("40020009");
  assert.equal(client.connected, false);
  assert.match(closes[0].error.message, /unknown packet id 9/);
  assert.equal(ws.closed, true);
});

test("keep-alive sends PINGREQ each interval and closes when PINGRESP never comes", async () => {
  const { client, ws, timers } = await connected();
  assert.equal(timers.intervals[0].ms, 30000);
  timers.tick();
  assert.equal(ws.sent.at(-1), "c000");
  ws.server("d000");
  timers.tick();
  assert.equal(ws.sent.at(-1), "c000");
  assert.equal(client.connected, true);
  const closes = [];
  client.on("close", (e) => closes.push(e));
  timers.tick();
  assert.equal(client.connected, false);
  assert.match(closes[0].error.message, /no PINGRESP/);
});

test("disconnect sends DISCONNECT, closes the socket and rejects what is pending", async () => {
  const { client, ws, timers } = await connected();
  const pending = client.subscribe("x", 0);
  const closes = [];
  client.on("close", (e) => closes.push(e));
  client.disconnect();
  assert.equal(ws.sent.at(-1), "e000");
  assert.equal(ws.closed, true);
  assert.equal(closes.length, 1);
  assert.equal(closes[0].error, null);
  assert.equal(timers.intervals[0].live, false);
  await assert.rejects(pending, /disconnected/);
  await assert.rejects(client.publish("t", "x"), /not connected/);
});

test("a server close after CONNACK reports the close code", async () => {
  const { client, ws } = await connected();
  const closes = [];
  client.on("close", (e) => closes.push(e));
  ws.drop(1000);
  assert.match(closes[0].error.message, /closed by the server \(code 1000 normal closure\)/);
  assert.equal(client.connected, false);
});

test("packet ids skip ids still in flight and wrap after 65535", async () => {
  const { client } = await connected();
  client.nextId = 65535;
  client.subscribe("a", 0);
  assert.equal(client.nextId, 1);
  client.pending.set(1, { kind: "publish", resolve() {}, reject() {} });
  client.subscribe("b", 0);
  assert.ok(client.pending.has(2));
  assert.equal(client.pending.get(2).kind, "subscribe");
});
