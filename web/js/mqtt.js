// A small MQTT 3.1.1 client for the browser's WebSocket (subprotocol "mqtt"), written for the
// dashboard's WebSocket page. Two layers: a codec of pure functions (packets to bytes, and a
// streaming parser that accepts any split of the byte stream into WebSocket frames), and
// MqttClient, which drives CONNECT/CONNACK, SUBSCRIBE/SUBACK, UNSUBSCRIBE, PUBLISH at QoS 0 and 1 in
// both directions (and answers an inbound QoS 2 flow), keep-alive PINGREQ and DISCONNECT.
// The socket constructor and timers are injectable so node's test runner can drive it with a fake.
// Loaded as a classic script it sets `Roost.mqtt`; under node it is a CommonJS module.
(function (global) {
  "use strict";

  const TYPE = { CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PUBREC: 5, PUBREL: 6, PUBCOMP: 7, SUBSCRIBE: 8, SUBACK: 9, UNSUBSCRIBE: 10, UNSUBACK: 11, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14 };
  const MAX_REMAINING = 268435455; // the largest value the 4-byte variable length can carry
  const CONNACK_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
  };

  // RFC 6455 7.4.1 close codes a person may meet here.
  const CLOSE_CODES = { 1000: "normal closure", 1001: "going away", 1002: "protocol error", 1005: "no status given", 1006: "closed abnormally", 1009: "message too big", 1011: "server error" };

  function closeCode(ev) {
    const name = CLOSE_CODES[ev.code];
    return "code " + ev.code + (name ? " " + name : "") + (ev.reason ? ", " + ev.reason : "");
  }

  class MqttError extends Error {
    constructor(message) {
      super(message);
      this.name = "MqttError";
    }
  }

  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { fatal: true });

  function toBytes(payload) {
    if (payload === undefined || payload === null) return new Uint8Array(0);
    if (payload instanceof Uint8Array) return payload;
    if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
    return encoder.encode(String(payload));
  }

  function encodeLength(n) {
    if (!Number.isInteger(n) || n < 0 || n > MAX_REMAINING) throw new MqttError("packet too large: " + n + " bytes");
    const out = [];
    do {
      let digit = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) digit |= 0x80;
      out.push(digit);
    } while (n > 0);
    return out;
  }

  function u16(n) {
    return [(n >> 8) & 0xff, n & 0xff];
  }

  function str(s) {
    const b = encoder.encode(s);
    if (b.length > 0xffff) throw new MqttError("string longer than 65535 bytes");
    return [u16(b.length), b];
  }

  // Flattens numbers, arrays and Uint8Arrays into one Uint8Array.
  function concat(parts) {
    const flat = [];
    const walk = (p) => {
      if (typeof p === "number") flat.push(Uint8Array.of(p));
      else if (p instanceof Uint8Array) flat.push(p);
      else for (const q of p) walk(q);
    };
    walk(parts);
    const total = flat.reduce((n, a) => n + a.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const a of flat) { out.set(a, off); off += a.length; }
    return out;
  }

  function packet(firstByte, body) {
    const b = concat(body);
    return concat([firstByte, encodeLength(b.length), b]);
  }

  function checkPacketId(id) {
    if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new MqttError("packet identifier out of range: " + id);
  }

  function checkTopicName(topic) {
    if (typeof topic !== "string" || topic.length === 0) throw new MqttError("the topic name is empty");
    if (/[+#]/.test(topic)) throw new MqttError("a topic name to publish to cannot contain + or #");
    if (topic.includes("\u0000")) throw new MqttError("the topic contains a NUL character");
  }

  function checkTopicFilter(filter) {
    if (typeof filter !== "string" || filter.length === 0) throw new MqttError("the topic filter is empty");
    const levels = filter.split("/");
    levels.forEach((level, i) => {
      if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) throw new MqttError("# must be the whole last level of a filter");
      if (level.includes("+") && level !== "+") throw new MqttError("+ must be a whole level of a filter");
    });
  }

  function checkQos(qos, max) {
    if (![0, 1, 2].includes(qos) || qos > max) throw new MqttError("unsupported QoS " + qos);
  }

  // opts: {clientId, keepalive, clean, username, password, will: {topic, payload, qos, retain}}
  function encodeConnect(opts) {
    const keepalive = opts.keepalive ?? 60;
    if (!Number.isInteger(keepalive) || keepalive < 0 || keepalive > 0xffff) throw new MqttError("keepalive must be 0..65535 seconds");
    let flags = opts.clean === false ? 0 : 0x02;
    const payload = [str(opts.clientId || "")];
    if (opts.will) {
      checkTopicName(opts.will.topic);
      checkQos(opts.will.qos || 0, 2);
      flags |= 0x04 | ((opts.will.qos || 0) << 3) | (opts.will.retain ? 0x20 : 0);
      const wp = toBytes(opts.will.payload);
      payload.push(str(opts.will.topic), u16(wp.length), wp);
    }
    if (opts.username !== undefined && opts.username !== null && opts.username !== "") {
      flags |= 0x80;
      payload.push(str(opts.username));
    }
    if (opts.password !== undefined && opts.password !== null && opts.password !== "") {
      if (!(flags & 0x80)) throw new MqttError("MQTT 3.1.1 needs a user name to send a password");
      flags |= 0x40;
      const pw = toBytes(opts.password);
      payload.push(u16(pw.length), pw);
    }
    return packet(TYPE.CONNECT << 4, [str("MQTT"), 4, flags, u16(keepalive), payload]);
  }

  // subs: [{topic, qos}]
  function encodeSubscribe(packetId, subs) {
    checkPacketId(packetId);
    if (!subs.length) throw new MqttError("SUBSCRIBE needs at least one filter");
    const body = [u16(packetId)];
    for (const s of subs) {
      checkTopicFilter(s.topic);
      checkQos(s.qos, 2);
      body.push(str(s.topic), s.qos);
    }
    return packet((TYPE.SUBSCRIBE << 4) | 0x02, body);
  }

  function encodeUnsubscribe(packetId, topics) {
    checkPacketId(packetId);
    if (!topics.length) throw new MqttError("UNSUBSCRIBE needs at least one filter");
    return packet((TYPE.UNSUBSCRIBE << 4) | 0x02, [u16(packetId), topics.map((t) => { checkTopicFilter(t); return str(t); })]);
  }

  // msg: {topic, payload, qos, retain, dup, packetId}
  function encodePublish(msg) {
    const qos = msg.qos || 0;
    checkTopicName(msg.topic);
    checkQos(qos, 2);
    const first = (TYPE.PUBLISH << 4) | (msg.dup ? 0x08 : 0) | (qos << 1) | (msg.retain ? 0x01 : 0);
    const body = [str(msg.topic)];
    if (qos > 0) {
      checkPacketId(msg.packetId);
      body.push(u16(msg.packetId));
    }
    body.push(toBytes(msg.payload));
    return packet(first, body);
  }

  function encodeAck(type, packetId) {
    checkPacketId(packetId);
    return packet((type << 4) | (type === TYPE.PUBREL ? 0x02 : 0), [u16(packetId)]);
  }

  function encodePingreq() { return Uint8Array.of(TYPE.PINGREQ << 4, 0); }
  function encodeDisconnect() { return Uint8Array.of(TYPE.DISCONNECT << 4, 0); }

  // Accumulates bytes and returns the whole packets they complete: [{type, flags, body}].
  class Parser {
    constructor(maxPacket) {
      this.maxPacket = maxPacket || 16 * 1024 * 1024;
      this.buf = new Uint8Array(0);
    }

    push(chunk) {
      const data = toBytes(chunk);
      const merged = new Uint8Array(this.buf.length + data.length);
      merged.set(this.buf, 0);
      merged.set(data, this.buf.length);
      this.buf = merged;
      const out = [];
      for (;;) {
        if (this.buf.length < 2) break;
        let len = 0;
        let mul = 1;
        let i = 1;
        let complete = false;
        for (; i < this.buf.length && i <= 4; i++) {
          len += (this.buf[i] & 0x7f) * mul;
          mul *= 128;
          if ((this.buf[i] & 0x80) === 0) { complete = true; break; }
        }
        if (!complete) {
          if (i > 4) throw new MqttError("malformed remaining length");
          break;
        }
        if (len > this.maxPacket) throw new MqttError("packet of " + len + " bytes exceeds the " + this.maxPacket + " byte limit");
        const start = i + 1;
        if (this.buf.length < start + len) break;
        out.push({ type: this.buf[0] >> 4, flags: this.buf[0] & 0x0f, body: this.buf.slice(start, start + len) });
        this.buf = this.buf.slice(start + len);
      }
      return out;
    }
  }

  function readU16(b, off) {
    if (off + 2 > b.length) throw new MqttError("packet truncated");
    return (b[off] << 8) | b[off + 1];
  }

  // Turns a raw packet from Parser into a typed object; throws MqttError on malformed input.
  function decode(p) {
    const b = p.body;
    switch (p.type) {
      case TYPE.CONNACK:
        if (b.length !== 2) throw new MqttError("CONNACK must have 2 bytes");
        return { type: "connack", sessionPresent: (b[0] & 1) === 1, returnCode: b[1] };
      case TYPE.PUBLISH: {
        const qos = (p.flags >> 1) & 0x03;
        if (qos === 3) throw new MqttError("PUBLISH with QoS 3");
        const tlen = readU16(b, 0);
        if (2 + tlen > b.length) throw new MqttError("PUBLISH topic truncated");
        let topic;
        try {
          topic = decoder.decode(b.subarray(2, 2 + tlen));
        } catch (_err) {
          throw new MqttError("PUBLISH topic is not UTF-8");
        }
        let off = 2 + tlen;
        let packetId = null;
        if (qos > 0) { packetId = readU16(b, off); off += 2; }
        return { type: "publish", topic, qos, retain: (p.flags & 1) === 1, dup: (p.flags & 8) === 8, packetId, payload: b.slice(off) };
      }
      case TYPE.PUBACK: return { type: "puback", packetId: readU16(b, 0) };
      case TYPE.PUBREC: return { type: "pubrec", packetId: readU16(b, 0) };
      case TYPE.PUBREL: return { type: "pubrel", packetId: readU16(b, 0) };
      case TYPE.PUBCOMP: return { type: "pubcomp", packetId: readU16(b, 0) };
      case TYPE.SUBACK: return { type: "suback", packetId: readU16(b, 0), granted: Array.from(b.subarray(2)) };
      case TYPE.UNSUBACK: return { type: "unsuback", packetId: readU16(b, 0) };
      case TYPE.PINGRESP: return { type: "pingresp" };
      default: throw new MqttError("unexpected packet type " + p.type + " from the server");
    }
  }

  // ---------- client ----------

  class MqttClient {
    // opts: {clientId, username, password, keepalive, clean, will, connectTimeout (ms),
    //        WebSocket (constructor), setTimeout/clearTimeout/setInterval/clearInterval}
    constructor(url, opts) {
      this.url = url;
      this.opts = Object.assign({ keepalive: 60, clean: true, connectTimeout: 10000 }, opts || {});
      this.WS = this.opts.WebSocket || global.WebSocket;
      this.timers = {
        setTimeout: this.opts.setTimeout || ((f, ms) => setTimeout(f, ms)),
        clearTimeout: this.opts.clearTimeout || ((id) => clearTimeout(id)),
        setInterval: this.opts.setInterval || ((f, ms) => setInterval(f, ms)),
        clearInterval: this.opts.clearInterval || ((id) => clearInterval(id)),
      };
      this.parser = new Parser();
      this.state = "new"; // new -> connecting -> connected -> closed
      this.listeners = {};
      this.pending = new Map(); // packetId -> {kind, resolve, reject}
      this.inboundQos2 = new Set(); // packet ids of QoS 2 messages awaiting PUBREL
      this.nextId = 1;
      this.awaitingPing = false;
      this.pingTimer = null;
    }

    on(event, fn) {
      (this.listeners[event] || (this.listeners[event] = [])).push(fn);
      return this;
    }

    emit(event, arg) {
      for (const fn of this.listeners[event] || []) fn(arg);
    }

    connect() {
      if (this.state !== "new") return Promise.reject(new MqttError("connect() may be called once per client"));
      this.state = "connecting";
      return new Promise((resolve, reject) => {
        this.connectWaiter = { resolve, reject };
        let ws;
        try {
          ws = new this.WS(this.url, ["mqtt"]);
        } catch (err) {
          this.state = "closed";
          this.connectWaiter = null;
          reject(new MqttError("cannot open " + this.url + ": " + (err && err.message ? err.message : err)));
          return;
        }
        this.ws = ws;
        ws.binaryType = "arraybuffer";
        this.connectTimer = this.timers.setTimeout(() => this.fail("no CONNACK within " + this.opts.connectTimeout / 1000 + " s"), this.opts.connectTimeout);
        ws.onopen = () => {
          try {
            this.send(encodeConnect(this.opts));
          } catch (err) {
            this.fail(err.message);
          }
        };
        ws.onmessage = (ev) => this.onData(ev.data);
        // Browsers hide why a WebSocket failed; say what the likely causes are.
        ws.onerror = () => this.fail(this.state === "connecting"
          ? "could not open a WebSocket to " + this.url + " (nothing listens there, or it refused the upgrade)"
          : "WebSocket error on " + this.url);
        ws.onclose = (ev) => this.fail(this.state === "connecting"
          ? "the server closed the WebSocket before CONNACK (" + closeCode(ev) + ")"
          : "connection closed by the server (" + closeCode(ev) + ")", true);
      });
    }

    get connected() { return this.state === "connected"; }

    send(bytes) {
      this.ws.send(bytes);
    }

    onData(data) {
      let packets;
      try {
        packets = this.parser.push(typeof data === "string" ? encoder.encode(data) : data);
        for (const raw of packets) this.handle(decode(raw));
      } catch (err) {
        this.fail("protocol error: " + err.message);
      }
    }

    handle(p) {
      switch (p.type) {
        case "connack": {
          if (this.state !== "connecting") throw new MqttError("a second CONNACK");
          this.timers.clearTimeout(this.connectTimer);
          if (p.returnCode !== 0) {
            this.fail("connection refused: " + (CONNACK_REASONS[p.returnCode] || "return code " + p.returnCode));
            return;
          }
          this.state = "connected";
          this.startKeepalive();
          const w = this.connectWaiter;
          this.connectWaiter = null;
          w.resolve({ sessionPresent: p.sessionPresent });
          this.emit("connect", { sessionPresent: p.sessionPresent });
          return;
        }
        case "publish": {
          if (this.state !== "connected") throw new MqttError("PUBLISH before CONNACK");
          if (p.qos === 2) {
            // Deliver once: the id stays in the set until PUBREL, so a DUP resend is not shown again.
            const isNew = !this.inboundQos2.has(p.packetId);
            this.inboundQos2.add(p.packetId);
            this.send(encodeAck(TYPE.PUBREC, p.packetId));
            if (isNew) this.emit("message", p);
            return;
          }
          this.emit("message", p);
          if (p.qos === 1) this.send(encodeAck(TYPE.PUBACK, p.packetId));
          return;
        }
        case "pubrel":
          this.inboundQos2.delete(p.packetId);
          this.send(encodeAck(TYPE.PUBCOMP, p.packetId));
          return;
        case "puback": this.settle(p.packetId, "publish", null); return;
        case "suback": {
          const granted = p.granted;
          const failed = granted.some((g) => g === 0x80);
          this.settle(p.packetId, "subscribe", failed ? new MqttError("the server refused the subscription (return code 0x80)") : null, granted);
          return;
        }
        case "unsuback": this.settle(p.packetId, "unsubscribe", null); return;
        case "pingresp": this.awaitingPing = false; return;
        default: throw new MqttError("unexpected " + p.type + " from the server");
      }
    }

    settle(packetId, kind, error, value) {
      const entry = this.pending.get(packetId);
      if (!entry || entry.kind !== kind) throw new MqttError(kind + " acknowledgement for unknown packet id " + packetId);
      this.pending.delete(packetId);
      if (error) entry.reject(error);
      else entry.resolve(value);
    }

    allocId() {
      for (let n = 0; n < 0xffff; n++) {
        const id = this.nextId;
        this.nextId = id === 0xffff ? 1 : id + 1;
        if (!this.pending.has(id)) return id;
      }
      throw new MqttError("all 65535 packet identifiers are in use");
    }

    request(kind, build) {
      if (this.state !== "connected") return Promise.reject(new MqttError("not connected"));
      let id;
      let bytes;
      try {
        id = this.allocId();
        bytes = build(id);
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise((resolve, reject) => {
        this.pending.set(id, { kind, resolve, reject });
        this.send(bytes);
      });
    }

    subscribe(topic, qos) {
      return this.request("subscribe", (id) => encodeSubscribe(id, [{ topic, qos: qos || 0 }])).then((granted) => granted[0]);
    }

    unsubscribe(topic) {
      return this.request("unsubscribe", (id) => encodeUnsubscribe(id, [topic]));
    }

    // Resolves once sent (QoS 0) or on PUBACK (QoS 1).
    publish(topic, payload, opts) {
      const qos = (opts && opts.qos) || 0;
      const retain = Boolean(opts && opts.retain);
      if (qos > 1) return Promise.reject(new MqttError("this client publishes at QoS 0 or 1"));
      if (qos === 0) {
        if (this.state !== "connected") return Promise.reject(new MqttError("not connected"));
        try {
          this.send(encodePublish({ topic, payload, qos: 0, retain }));
        } catch (err) {
          return Promise.reject(err);
        }
        return Promise.resolve();
      }
      return this.request("publish", (id) => encodePublish({ topic, payload, qos, retain, packetId: id }));
    }

    startKeepalive() {
      const secs = this.opts.keepalive;
      if (!secs) return;
      this.pingTimer = this.timers.setInterval(() => {
        if (this.awaitingPing) {
          this.fail("no PINGRESP within " + secs + " s");
          return;
        }
        this.awaitingPing = true;
        this.send(encodePingreq());
      }, secs * 1000);
    }

    disconnect() {
      if (this.state === "connected") {
        try {
          this.send(encodeDisconnect());
        } catch (_err) {
          // the socket is already going away; closing below is all that is left to do
        }
      }
      this.close(null);
    }

    // Ends the session with an error message (or none for a clean disconnect).
    fail(message, fromClose) {
      if (this.state === "closed") return;
      this.close(new MqttError(message), fromClose);
    }

    close(error, fromClose) {
      if (this.state === "closed") return;
      this.state = "closed";
      this.timers.clearTimeout(this.connectTimer);
      if (this.pingTimer !== null) this.timers.clearInterval(this.pingTimer);
      if (this.ws && !fromClose) {
        this.ws.onclose = null;
        try { this.ws.close(); } catch (_err) { /* already closed */ }
      }
      const reason = error || new MqttError("disconnected");
      if (this.connectWaiter) {
        this.connectWaiter.reject(reason);
        this.connectWaiter = null;
      }
      for (const entry of this.pending.values()) entry.reject(reason);
      this.pending.clear();
      this.emit("close", { error });
    }
  }

  const api = {
    TYPE, MqttError, MqttClient, Parser, decode,
    encodeLength, encodeConnect, encodeSubscribe, encodeUnsubscribe, encodePublish, encodeAck, encodePingreq, encodeDisconnect,
    checkTopicName, checkTopicFilter,
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else (global.Roost || (global.Roost = {})).mqtt = api;
})(typeof window !== "undefined" ? window : globalThis);
