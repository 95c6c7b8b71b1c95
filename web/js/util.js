// Small helpers shared by every page: a DOM builder that never parses strings as HTML (so names
// and payloads coming from clients cannot inject markup), number/byte/time formatting, and the
// inline SVG icons. Everything hangs off the single global `Roost`.
(function (global) {
  "use strict";
  const Roost = global.Roost || (global.Roost = {});
  Roost.pages = Roost.pages || {}; // filled by js/pages/*.js, read by the router in js/app.js

  // h("div", {class: "x", onclick: fn}, child, "text", [more]) -> Element.
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (key.startsWith("on") && typeof value === "function") {
          node.addEventListener(key.slice(2).toLowerCase(), value);
        } else if (key === "class") {
          node.className = value;
        } else if (key === "html") {
          node.appendChild(svg(value));
        } else if (key === "value") {
          node.value = value;
        } else if (key === "checked" || key === "disabled" || key === "selected") {
          node[key] = Boolean(value);
        } else if (key === "dataset") {
          Object.assign(node.dataset, value);
        } else {
          node.setAttribute(key, value === true ? "" : String(value));
        }
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else if (child instanceof Node) node.appendChild(child);
      else node.appendChild(document.createTextNode(String(child)));
    }
  }

  // Icons are fixed strings written here, never data, so parsing them is safe.
  function svg(markup) {
    const tpl = document.createElement("template");
    tpl.innerHTML = markup.trim();
    return tpl.content.firstChild;
  }

  function icon(name) {
    return svg(ICONS[name] || ICONS.dot);
  }

  const S = 'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"';
  const ICONS = {
    logo: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><rect width="32" height="32" rx="7" fill="#12a37f"/><path d="M9 23V9h8a5 5 0 0 1 0 10h-3l6 4" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>',
    overview: `<svg ${S}><rect x="3" y="3" width="7" height="9" rx="1"/><rect x="14" y="3" width="7" height="5" rx="1"/><rect x="14" y="12" width="7" height="9" rx="1"/><rect x="3" y="16" width="7" height="5" rx="1"/></svg>`,
    clients: `<svg ${S}><rect x="5" y="2" width="14" height="20" rx="2"/><path d="M12 18h.01"/></svg>`,
    subscriptions: `<svg ${S}><path d="M4 11a9 9 0 0 1 9 9"/><path d="M4 4a16 16 0 0 1 16 16"/><circle cx="5" cy="19" r="1.5"/></svg>`,
    topics: `<svg ${S}><path d="M4 9h16M4 15h16M10 3 8 21M16 3l-2 18"/></svg>`,
    retained: `<svg ${S}><path d="M19 21 12 16 5 21V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"/></svg>`,
    listeners: `<svg ${S}><rect x="2" y="3" width="20" height="7" rx="1.5"/><rect x="2" y="14" width="20" height="7" rx="1.5"/><path d="M6 6.5h.01M6 17.5h.01"/></svg>`,
    users: `<svg ${S}><path d="M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M22 21v-2a4 4 0 0 0-3-3.87M16 3.13a4 4 0 0 1 0 7.75"/></svg>`,
    websocket: `<svg ${S}><path d="M5 12.55a11 11 0 0 1 14.08 0M1.42 9a16 16 0 0 1 21.16 0M8.53 16.11a6 6 0 0 1 6.95 0M12 20h.01"/></svg>`,
    alarms: `<svg ${S}><path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/></svg>`,
    logout: `<svg ${S}><path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"/></svg>`,
    refresh: `<svg ${S}><path d="M21 12a9 9 0 1 1-2.64-6.36L21 8"/><path d="M21 3v5h-5"/></svg>`,
    search: `<svg ${S}><circle cx="11" cy="11" r="7"/><path d="m21 21-4.3-4.3"/></svg>`,
    trash: `<svg ${S}><path d="M3 6h18M8 6V4h8v2M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6"/></svg>`,
    plus: `<svg ${S}><path d="M12 5v14M5 12h14"/></svg>`,
    key: `<svg ${S}><circle cx="7.5" cy="15.5" r="4.5"/><path d="m10.7 12.3 9.3-9.3M17 6l3 3M14 9l2 2"/></svg>`,
    eye: `<svg ${S}><path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7-10-7-10-7z"/><circle cx="12" cy="12" r="3"/></svg>`,
    kick: `<svg ${S}><circle cx="12" cy="12" r="9"/><path d="m15 9-6 6M9 9l6 6"/></svg>`,
    link: `<svg ${S}><path d="M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71"/><path d="M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71"/></svg>`,
    send: `<svg ${S}><path d="m22 2-7 20-4-9-9-4z"/><path d="M22 2 11 13"/></svg>`,
    inbox: `<svg ${S}><path d="M22 12h-6l-2 3h-4l-2-3H2"/><path d="M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z"/></svg>`,
    arrowDown: `<svg ${S}><path d="M12 5v14M19 12l-7 7-7-7"/></svg>`,
    arrowUp: `<svg ${S}><path d="M12 19V5M5 12l7-7 7 7"/></svg>`,
    drop: `<svg ${S}><path d="M12 2.7 5.6 9.1a9 9 0 1 0 12.8 0z"/><path d="M4 20 20 4"/></svg>`,
    layers: `<svg ${S}><path d="m12 2 10 5-10 5L2 7z"/><path d="m2 17 10 5 10-5M2 12l10 5 10-5"/></svg>`,
    server: `<svg ${S}><rect x="2" y="2" width="20" height="8" rx="2"/><rect x="2" y="14" width="20" height="8" rx="2"/><path d="M6 6h.01M6 18h.01"/></svg>`,
    back: `<svg ${S}><path d="M19 12H5M12 19l-7-7 7-7"/></svg>`,
    lock: `<svg ${S}><rect x="3" y="11" width="18" height="11" rx="2"/><path d="M7 11V7a5 5 0 0 1 10 0v4"/></svg>`,
    dot: `<svg ${S}><circle cx="12" cy="12" r="3"/></svg>`,
  };

  const numberFmt = new Intl.NumberFormat("en-US");
  function num(value) {
    if (value === null || value === undefined || value === "") return "—";
    if (typeof value !== "number") return String(value);
    return numberFmt.format(value);
  }

  // "1 client", "3 clients"
  function plural(n, word) {
    return num(n) + " " + word + (n === 1 ? "" : "s");
  }

  function rate(value) {
    if (!isFinite(value)) return "—";
    return value >= 100 ? numberFmt.format(Math.round(value)) : value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, "") || "0";
  }

  function bytes(value) {
    if (typeof value !== "number" || !isFinite(value)) return "—";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let v = value;
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
    return (i === 0 ? String(v) : v.toFixed(v >= 100 ? 0 : 1)) + " " + units[i];
  }

  function duration(ms) {
    if (typeof ms !== "number" || !isFinite(ms) || ms < 0) return "—";
    let s = Math.floor(ms / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const hr = Math.floor(s / 3600); s -= hr * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (d > 0) return `${d}d ${hr}h ${m}m`;
    if (hr > 0) return `${hr}h ${m}m ${s}s`;
    if (m > 0) return `${m}m ${s}s`;
    return `${s}s`;
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function time(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function clock(date) {
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  }

  // MQTT 5 subscription option bits (0/1) as Yes/No; absent for older protocol versions.
  function flag(v) {
    if (v === null || v === undefined) return "—";
    return v ? "Yes" : "No";
  }

  // Base64 <-> bytes without going through Latin-1 strings the caller might misread.
  function base64ToBytes(b64) {
    const bin = atob(b64 || "");
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // A payload as text: `text` is null unless it is UTF-8; `printable` is false when it holds
  // control characters other than tab and line breaks, i.e. when hex is the better view.
  function payloadText(bytesArr) {
    let text = null;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytesArr);
    } catch (_err) {
      return { text: null, printable: false };
    }
    const printable = !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
    return { text, printable };
  }

  function hexDump(bytesArr) {
    const lines = [];
    for (let off = 0; off < bytesArr.length; off += 16) {
      const row = bytesArr.subarray(off, off + 16);
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, "0")).join(" ");
      const ascii = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
      lines.push(off.toString(16).padStart(8, "0") + "  " + hex.padEnd(47, " ") + "  " + ascii);
    }
    return lines.join("\n");
  }

  Roost.util = { h, svg, icon, flag, num, plural, rate, bytes, duration, time, clock, base64ToBytes, payloadText, hexDump };
})(window);
