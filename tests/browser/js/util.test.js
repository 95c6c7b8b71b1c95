// The dashboard's formatting helpers (web/js/util.js): what the pages print for counts, sizes,
// durations, payloads and hex dumps. util.js runs in a fresh context whose `window` is an empty
// object, as a classic browser script would, and its DOM builder is left to the browser tests.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const source = fs.readFileSync(path.join(__dirname, "..", "..", "..", "web", "js", "util.js"), "utf8");
const context = vm.createContext({ window: {}, TextDecoder, Intl, atob });
vm.runInContext(source, context, { filename: "util.js" });
const util = context.window.Roost.util;

test("numbers, plurals and rates", () => {
  assert.equal(util.num(1234567), "1,234,567");
  assert.equal(util.num(null), "—");
  assert.equal(util.num(undefined), "—");
  assert.equal(util.num("infinity"), "infinity");
  assert.equal(util.plural(1, "client"), "1 client");
  assert.equal(util.plural(0, "client"), "0 clients");
  assert.equal(util.plural(1200, "message"), "1,200 messages");
  assert.equal(util.rate(0), "0");
  assert.equal(util.rate(2.5), "2.5");
  assert.equal(util.rate(12.34), "12.3");
  assert.equal(util.rate(1234.4), "1,234");
  assert.equal(util.rate(NaN), "—");
});

test("byte sizes step by 1024", () => {
  assert.equal(util.bytes(0), "0 B");
  assert.equal(util.bytes(1023), "1023 B");
  assert.equal(util.bytes(1024), "1.0 KB");
  assert.equal(util.bytes(1536), "1.5 KB");
  assert.equal(util.bytes(23456789), "22.4 MB");
  assert.equal(util.bytes(500 * 1024 * 1024 * 1024), "500 GB");
  assert.equal(util.bytes(undefined), "—");
});

test("durations from milliseconds", () => {
  assert.equal(util.duration(0), "0s");
  assert.equal(util.duration(59999), "59s");
  assert.equal(util.duration(61000), "1m 1s");
  assert.equal(util.duration(3600000 + 14000), "1h 0m 14s");
  assert.equal(util.duration(2 * 86400000 + 3 * 3600000 + 5 * 60000), "2d 3h 5m");
  assert.equal(util.duration(-1), "—");
  assert.equal(util.duration("5"), "—");
});

test("times print in local time, and what is not a time is shown as given", () => {
  const d = new Date(2026, 11, 2, 9, 5, 7);
  assert.equal(util.time(d.toISOString()), "2026-12-02 09:05:07");
  assert.equal(util.time(null), "—");
  assert.equal(util.time("soon"), "soon");
  assert.equal(util.clock(d), "09:05:07");
});

test("subscription flags", () => {
  assert.equal(util.flag(1), "Yes");
  assert.equal(util.flag(0), "No");
  assert.equal(util.flag(undefined), "—");
});

test("payloads: text when printable UTF-8, otherwise hex is the view", () => {
  const enc = new TextEncoder();
  assert.deepEqual({ ...util.payloadText(enc.encode("21.5 °C\nok\t!")) }, { text: "21.5 °C\nok\t!", printable: true });
  assert.equal(util.payloadText(Uint8Array.of(0, 1, 2)).printable, false);
  assert.deepEqual({ ...util.payloadText(Uint8Array.of(0xff, 0xfe)) }, { text: null, printable: false });
  assert.deepEqual(Array.from(util.base64ToBytes("AAH/")), [0, 1, 255]);
  assert.equal(util.base64ToBytes("").length, 0);
});

test("hex dump: offset, 16 bytes a row, printable ASCII beside", () => {
  const bytes = Uint8Array.from({ length: 18 }, (_, i) => 0x41 + i);
  bytes[1] = 0x00;
  assert.equal(util.hexDump(bytes),
    "00000000  41 00 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  A.CDEFGHIJKLMNOP\n" +
    "00000010  51 52                                            QR");
  assert.equal(util.hexDump(new Uint8Array(0)), "");
});
