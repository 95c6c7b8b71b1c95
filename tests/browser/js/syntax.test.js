// Every script of web/ must at least parse: the dashboard has no build step that would catch a
// syntax error before a browser does, and one broken file blanks every page.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

const WEB = path.join(__dirname, "..", "..", "..", "web");

function scripts(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return scripts(p);
    return e.name.endsWith(".js") ? [p] : [];
  });
}

test("every web/ script parses", () => {
  const files = scripts(WEB);
  assert.ok(files.length >= 10, "found " + files.length + " scripts under " + WEB);
  for (const file of files) {
    assert.doesNotThrow(() => new vm.Script(fs.readFileSync(file, "utf8"), { filename: file }), file);
  }
});

test("index.html loads every script of web/js exactly once, and nothing from elsewhere", () => {
  const html = fs.readFileSync(path.join(WEB, "index.html"), "utf8");
  const loaded = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
  for (const src of loaded) assert.ok(!/^(https?:)?\/\//.test(src), "remote script " + src);
  const onDisk = scripts(path.join(WEB, "js")).map((f) => path.relative(WEB, f).split(path.sep).join("/"));
  assert.deepEqual([...loaded].sort(), onDisk.sort());
  assert.equal(new Set(loaded).size, loaded.length);
  assert.ok(!/https?:\/\//.test(fs.readFileSync(path.join(WEB, "css", "style.css"), "utf8")), "the stylesheet loads nothing remote");
});
