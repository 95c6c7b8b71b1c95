// WebSocket client page (#/websocket): connects the dashboard's own MQTT client (js/mqtt.js) to the
// broker's MQTT-over-WebSocket listener — the first ws/wss listener from /api/v5/listeners, else
// ws://<page host>:8083/mqtt — then subscribes, publishes and lists messages as they arrive.
// The connection, subscriptions and message log live in module state, so they survive navigating
// to other pages; the log is bounded.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, icon, clock } = Roost.util;
  const { api, ui } = Roost;

  const MAX_MESSAGES = 300;
  const conn = {
    client: null,
    status: "disconnected", // disconnected | connecting | connected
    error: null,
    subs: [], // [{topic, qos}]
    messages: [], // [{dir: "in"|"out", topic, qos, retain, payload: Uint8Array, at: Date}]
    form: null, // last connection settings typed in
    drafts: { subTopic: "testtopic/#", subQos: "0", pubTopic: "testtopic/1", pubPayload: JSON.stringify({ msg: "hello from the Roost dashboard" }), pubQos: "0", retain: false },
    redraw: null, // set by the page while it is shown
  };

  function randomId() {
    const b = new Uint8Array(4);
    crypto.getRandomValues(b);
    return "dashboard_" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  function defaultUrl(listeners) {
    const l = (Array.isArray(listeners) ? listeners : []).find((x) => x.type === "ws" || x.type === "wss");
    if (!l) return `ws://${location.hostname}:8083/mqtt`;
    const m = /^(.*):(\d+)$/.exec(l.bind || "");
    const port = m ? m[2] : "8083";
    let host = m ? m[1].replace(/^\[|\]$/g, "") : "";
    if (!host || host === "0.0.0.0" || host === "::") host = location.hostname;
    if (host.includes(":") && !host.startsWith("[")) host = "[" + host + "]";
    let path = l.path || "/mqtt";
    if (!path.startsWith("/")) path = "/" + path;
    return `${l.type}://${host}:${port}${path}`;
  }

  function shownPayload(bytes) {
    if (bytes.length === 0) return { text: "(empty)", binary: false };
    const { text, printable } = Roost.util.payloadText(bytes);
    if (printable) return { text, binary: false };
    return { text: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" "), binary: true };
  }

  function log(entry) {
    conn.messages.unshift(entry);
    if (conn.messages.length > MAX_MESSAGES) conn.messages.length = MAX_MESSAGES;
    if (conn.redraw) conn.redraw("messages");
  }

  function setStatus(status, error) {
    conn.status = status;
    conn.error = error || null;
    if (conn.redraw) conn.redraw("all");
  }

  async function connect(settings) {
    conn.form = settings;
    const client = new Roost.mqtt.MqttClient(settings.url, {
      clientId: settings.clientId,
      username: settings.username || undefined,
      password: settings.password || undefined,
      keepalive: settings.keepalive,
      clean: settings.clean,
    });
    conn.client = client;
    conn.subs = [];
    client.on("message", (m) => log({ dir: "in", topic: m.topic, qos: m.qos, retain: m.retain, payload: m.payload, at: new Date() }));
    client.on("close", (ev) => {
      if (conn.client !== client) return;
      const wasUp = conn.status === "connected";
      conn.client = null;
      conn.subs = [];
      // A failed connect is reported once, by connect() below; a dropped session here.
      if (ev.error && wasUp) ui.toast("WebSocket connection ended: " + ev.error.message, "error");
      setStatus("disconnected", ev.error ? ev.error.message : null);
    });
    setStatus("connecting");
    try {
      await client.connect();
      if (conn.client === client) {
        setStatus("connected");
      }
    } catch (err) {
      if (conn.client === client) conn.client = null;
      setStatus("disconnected", err.message);
      ui.error(err, "Connect to " + settings.url);
    }
  }

  // The connection form; returns {el, statusBox, draw}.
  function connectionCard() {
    const s = conn.form || { url: "", clientId: randomId(), username: "", password: "", keepalive: 60, clean: true };
    const f = {
      url: h("input", { class: "input", id: "ws-url", value: s.url, placeholder: "ws://host:8083/mqtt" }),
      clientId: h("input", { class: "input", id: "ws-clientid", value: s.clientId }),
      username: h("input", { class: "input", id: "ws-username", value: s.username, autocomplete: "off" }),
      password: h("input", { class: "input", id: "ws-password", type: "password", value: s.password, autocomplete: "new-password" }),
      keepalive: h("input", { class: "input", id: "ws-keepalive", type: "number", min: "0", max: "65535", value: String(s.keepalive) }),
      clean: h("input", { type: "checkbox", id: "ws-clean", checked: s.clean }),
    };
    if (!s.url) {
      api.get("/api/v5/listeners").then((ls) => {
        if (!f.url.value) f.url.value = defaultUrl(ls);
      }).catch((err) => {
        if (!f.url.value) f.url.value = defaultUrl([]);
        ui.error(err, "Listeners (using the default WebSocket address)");
      });
    }
    const statusBox = h("div", { id: "ws-status", style: "display:flex;gap:10px;align-items:center" });
    const connectBtn = h("button", { class: "btn primary", type: "submit", id: "ws-connect" });
    const errLine = h("div", { class: "form-error", id: "ws-error", hidden: true });
    const problem = (text) => { errLine.textContent = text; errLine.hidden = false; };
    const onSubmit = (ev) => {
      ev.preventDefault();
      if (conn.client) {
        const c = conn.client;
        conn.client = null;
        c.disconnect();
        setStatus("disconnected");
        return;
      }
      const ka = Number(f.keepalive.value);
      if (!Number.isInteger(ka) || ka < 0 || ka > 65535) return problem("Keepalive must be a whole number of seconds from 0 to 65535.");
      if (!/^wss?:\/\//.test(f.url.value.trim())) return problem("The address must start with ws:// or wss://.");
      return connect({ url: f.url.value.trim(), clientId: f.clientId.value.trim(), username: f.username.value, password: f.password.value, keepalive: ka, clean: f.clean.checked });
    };
    const form = h("form", { class: "form-grid", onsubmit: onSubmit },
      errLine,
      h("div", { class: "form-row cols-wide-narrow" },
        h("label", { class: "field" }, "Broker address", f.url),
        h("label", { class: "field" }, "Client ID", f.clientId)),
      h("div", { class: "form-row cols-login" },
        h("label", { class: "field" }, "Username", f.username),
        h("label", { class: "field" }, "Password", f.password),
        h("label", { class: "field" }, "Keepalive (s)", f.keepalive),
        h("label", { class: "check", style: "min-height:34px" }, f.clean, "Clean session"),
        connectBtn));
    const draw = () => {
      const st = conn.status;
      statusBox.replaceChildren(st === "connected" ? ui.badge("Connected", "ok") : st === "connecting" ? ui.badge("Connecting…", "warn") : ui.badge("Disconnected", "off"));
      connectBtn.replaceChildren(icon(st === "disconnected" ? "link" : "kick"), st === "disconnected" ? "Connect" : "Disconnect");
      connectBtn.className = "btn " + (st === "disconnected" ? "primary" : "danger");
      for (const el of Object.values(f)) el.disabled = st !== "disconnected";
      if (conn.error) problem(conn.error);
      else errLine.hidden = true;
    };
    return { el: ui.card("Connection", h("div", { class: "card-body" }, form)), statusBox, draw };
  }

  function connectedClient() {
    const client = conn.client;
    if (client && client.connected) return client;
    ui.toast("Connect first.", "warn");
    return null;
  }

  // Subscribe form and the list of active subscriptions; returns {el, draw}.
  function subscribeCard() {
    const topicIn = h("input", { class: "input", id: "ws-sub-topic", value: conn.drafts.subTopic, placeholder: "Topic filter" });
    const qosIn = qosSelect("ws-sub-qos", "subQos");
    keepDraft(topicIn, "subTopic");
    const chips = h("div", { class: "sub-chips", id: "ws-subs" });
    const btn = h("button", { class: "btn primary", type: "submit", id: "ws-subscribe" }, icon("plus"), "Subscribe");
    const onSubmit = async (ev) => {
      ev.preventDefault();
      const client = connectedClient();
      if (!client) return;
      const topic = topicIn.value.trim();
      try {
        Roost.mqtt.checkTopicFilter(topic);
        const granted = await client.subscribe(topic, Number(qosIn.value));
        conn.subs = conn.subs.filter((x) => x.topic !== topic).concat([{ topic, qos: granted }]);
        if (conn.redraw) conn.redraw("subs");
      } catch (err) {
        ui.error(err, "Subscribe to " + topic);
      }
    };
    const unsubscribe = async (sub) => {
      const client = connectedClient();
      if (!client) return;
      try {
        await client.unsubscribe(sub.topic);
        conn.subs = conn.subs.filter((x) => x !== sub);
        if (conn.redraw) conn.redraw("subs");
      } catch (err) {
        ui.error(err, "Unsubscribe from " + sub.topic);
      }
    };
    const draw = () => {
      btn.disabled = conn.status !== "connected";
      chips.replaceChildren(...(conn.subs.length === 0
        ? [h("span", { class: "hint" }, conn.status === "connected" ? "No subscriptions yet." : "Connect to subscribe.")]
        : conn.subs.map((sub) => h("span", { class: "chip" }, sub.topic, h("span", { class: "hint" }, "QoS " + sub.qos),
          h("button", { type: "button", title: "Unsubscribe", "aria-label": "Unsubscribe " + sub.topic, onclick: () => unsubscribe(sub) }, "×")))));
    };
    const form = h("form", { class: "form-grid", onsubmit: onSubmit },
      h("div", { class: "form-row cols-topic" },
        h("label", { class: "field" }, "Topic filter", topicIn),
        h("label", { class: "field" }, "QoS", qosIn),
        btn),
      chips);
    return { el: ui.card("Subscribe", h("div", { class: "card-body" }, form)), draw };
  }

  // Publish form; returns {el, draw}.
  function publishCard() {
    const topicIn = h("input", { class: "input", id: "ws-pub-topic", value: conn.drafts.pubTopic, placeholder: "Topic" });
    const payloadIn = h("textarea", { class: "input", id: "ws-pub-payload", rows: "4" });
    payloadIn.value = conn.drafts.pubPayload;
    const qosIn = qosSelect("ws-pub-qos", "pubQos");
    const retainIn = h("input", { type: "checkbox", id: "ws-pub-retain", checked: conn.drafts.retain });
    keepDraft(topicIn, "pubTopic");
    keepDraft(payloadIn, "pubPayload");
    retainIn.addEventListener("change", () => { conn.drafts.retain = retainIn.checked; });
    const btn = h("button", { class: "btn primary", type: "submit", id: "ws-publish" }, icon("send"), "Publish");
    const onSubmit = async (ev) => {
      ev.preventDefault();
      const client = connectedClient();
      if (!client) return;
      const topic = topicIn.value.trim();
      const qos = Number(qosIn.value);
      const retain = retainIn.checked;
      const payload = new TextEncoder().encode(payloadIn.value);
      try {
        await client.publish(topic, payload, { qos, retain });
        log({ dir: "out", topic, qos, retain, payload, at: new Date() });
      } catch (err) {
        ui.error(err, "Publish to " + topic);
      }
    };
    const form = h("form", { class: "form-grid", onsubmit: onSubmit },
      h("div", { class: "form-row cols-topic" },
        h("label", { class: "field" }, "Topic", topicIn),
        h("label", { class: "field" }, "QoS", qosIn),
        h("label", { class: "check", style: "min-height:34px" }, retainIn, "Retain")),
      h("label", { class: "field" }, "Payload", payloadIn),
      h("div", null, btn));
    return { el: ui.card("Publish", h("div", { class: "card-body" }, form)), draw: () => { btn.disabled = conn.status !== "connected"; } };
  }

  // The message log, newest first, optionally only what was received; returns {el, draw}.
  function messagesCard() {
    const list = h("div", { class: "msg-list", id: "ws-messages" });
    const count = h("span", { class: "sub" });
    let showOut = true;
    const choose = (ev, out) => {
      showOut = out;
      for (const b of seg.children) b.classList.toggle("on", b === ev.currentTarget);
      draw();
    };
    const seg = h("div", { class: "seg" },
      h("button", { type: "button", class: "on", onclick: (ev) => choose(ev, true) }, "All"),
      h("button", { type: "button", onclick: (ev) => choose(ev, false) }, "Received"));
    const clear = ui.button("Clear", { small: true, icon: "trash", onclick: () => { conn.messages = []; draw(); } });
    const item = (m) => {
      const p = shownPayload(m.payload);
      return h("div", { class: "msg-item " + m.dir },
        h("div", { class: "msg-meta" },
          h("span", { class: "msg-topic" }, m.topic),
          h("span", null, "QoS " + m.qos),
          m.retain ? h("span", { class: "badge warn" }, "retained") : null,
          p.binary ? h("span", { class: "badge off" }, "binary") : null,
          h("span", { style: "margin-left:auto" }, (m.dir === "in" ? "received " : "published ") + clock(m.at))),
        h("div", { class: "msg-payload" }, p.text));
    };
    function draw() {
      const shown = showOut ? conn.messages : conn.messages.filter((m) => m.dir === "in");
      const received = conn.messages.filter((m) => m.dir === "in").length;
      count.textContent = `${received} received · ${conn.messages.length - received} published`;
      list.replaceChildren(...(shown.length > 0 ? shown.map(item)
        : [ui.emptyState(conn.status === "connected" ? "No messages yet. Subscribe to a topic and publish to it." : "Messages appear here once connected.")]));
    }
    const el = ui.card("Messages", h("div", { class: "card-body flush" }, list), h("div", { style: "display:flex;gap:12px;align-items:center" }, count, seg, clear));
    return { el, draw };
  }

  function render(ctx) {
    const connection = connectionCard();
    const subscribe = subscribeCard();
    const publish = publishCard();
    const messages = messagesCard();
    conn.redraw = (what) => {
      if (!ctx.alive) return;
      if (what === "messages") messages.draw();
      else if (what === "subs") subscribe.draw();
      else for (const part of [connection, subscribe, publish, messages]) part.draw();
    };
    ctx.onLeave(() => { conn.redraw = null; });
    ctx.container.append(
      ui.pageHead("WebSocket Client", "Test the broker from the browser over MQTT 3.1.1 on WebSocket.", connection.statusBox),
      connection.el,
      h("div", { class: "ws-layout", style: "margin-top:18px" }, subscribe.el, publish.el),
      h("div", { style: "margin-top:18px" }, messages.el));
    conn.redraw("all");
  }

  // The subscribe and publish fields keep what was typed across visits to other pages.
  function keepDraft(el, key) {
    el.addEventListener("input", () => { conn.drafts[key] = el.value; });
  }

  function qosSelect(id, draftKey) {
    const sel = h("select", { class: "input", id }, [0, 1].map((q) => h("option", { value: String(q), selected: conn.drafts[draftKey] === String(q) }, "QoS " + q)));
    sel.addEventListener("change", () => { conn.drafts[draftKey] = sel.value; });
    return sel;
  }

  Roost.pages.websocket = { title: "WebSocket Client", render };
})(window);
