// Overview page: counters from /api/v5/stats and /api/v5/metrics, node facts from /api/v5/nodes,
// and two live charts (connections; messages received/sent per second, computed from successive
// metric samples). Samples live in a bounded module-level buffer so the charts keep their history
// when the person leaves and comes back; polling runs only while the page is shown.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, icon, num, bytes, duration, rate, time } = Roost.util;
  const { api, ui } = Roost;

  const POLL_MS = 3000;
  const MAX_POINTS = 60;
  const history = { conn: [], rates: [], last: null }; // last: {t, received, sent}

  function statCard(id, label, iconName, tone) {
    const value = h("div", { class: "stat-value", id: "stat-" + id }, "—");
    return {
      el: h("div", { class: "card stat" }, h("div", { class: "stat-label" }, h("span", { class: "stat-icon " + tone }, icon(iconName)), label), value),
      set(v) { value.textContent = num(v); },
    };
  }

  function kvRows(rows) {
    return h("div", { class: "kv-cols" }, rows.map(([k, v]) => h("div", { class: "row" }, h("span", null, k), h("span", null, v))));
  }

  function render(ctx) {
    const cards = {
      connections: statCard("connections", "Connections", "clients", "tone-green"),
      sessions: statCard("sessions", "Sessions", "layers", "tone-blue"),
      subscriptions: statCard("subscriptions", "Subscriptions", "subscriptions", "tone-blue"),
      topics: statCard("topics", "Topics", "topics", "tone-grey"),
      retained: statCard("retained", "Retained", "retained", "tone-amber"),
      received: statCard("received", "Messages in", "arrowDown", "tone-green"),
      sent: statCard("sent", "Messages out", "arrowUp", "tone-blue"),
      dropped: statCard("dropped", "Dropped", "drop", "tone-red"),
    };
    const connChart = new Roost.LineChart([{ name: "Connections", color: "#12a37f" }], { maxPoints: MAX_POINTS });
    const rateChart = new Roost.LineChart([
      { name: "Received/s", color: "#12a37f" },
      { name: "Sent/s", color: "#3b82f6" },
    ], { maxPoints: MAX_POINTS, format: (v) => rate(v) });
    for (const p of history.conn) connChart.points.push(p);
    for (const p of history.rates) rateChart.points.push(p);
    ctx.onLeave(() => { connChart.destroy(); rateChart.destroy(); });

    const updated = h("span", { class: "hint", id: "overview-updated" }, "Loading…");
    const rateNow = h("span", { class: "sub", id: "rate-now" });
    const connNow = h("span", { class: "sub" });
    const nodeBox = h("div", { class: "card-body" }, ui.loading());
    const trafficBox = h("div", { class: "card-body" }, ui.loading());

    ctx.container.append(
      ui.pageHead("Overview", "Live state of the broker, refreshed every " + POLL_MS / 1000 + " seconds.", updated),
      h("div", { class: "stats four" }, Object.values(cards).map((c) => c.el)),
      h("div", { class: "grid grid-2" },
        ui.card("Connections", h("div", { class: "card-body" }, connChart.el), h("div", { style: "display:flex;gap:14px;align-items:center" }, connNow, connChart.legend())),
        ui.card("Message rate", h("div", { class: "card-body" }, rateChart.el), h("div", { style: "display:flex;gap:14px;align-items:center" }, rateNow, rateChart.legend()))),
      h("div", { class: "grid grid-2", style: "margin-top:18px" },
        ui.card("Node", nodeBox),
        ui.card("Traffic", trafficBox)));

    let failing = false;
    async function poll() {
      let stats, metrics, nodes;
      try {
        [stats, metrics, nodes] = await Promise.all([
          api.get("/api/v5/stats", { aggregate: "true" }),
          api.get("/api/v5/metrics", { aggregate: "true" }),
          api.get("/api/v5/nodes"),
        ]);
      } catch (err) {
        if (!ctx.alive) return;
        updated.textContent = "Update failed: " + err.message;
        updated.style.color = "var(--danger)";
        if (!failing) ui.error(err, "Overview");
        failing = true;
        return;
      }
      if (!ctx.alive) return;
      failing = false;
      stats = Array.isArray(stats) ? stats[0] || {} : stats || {};
      metrics = Array.isArray(metrics) ? metrics[0] || {} : metrics || {};
      const node = Array.isArray(nodes) ? nodes[0] : null;
      const now = new Date();
      updated.style.color = "";
      updated.textContent = "Updated " + Roost.util.clock(now);

      cards.connections.set(stats["connections.count"]);
      cards.sessions.set(stats["sessions.count"]);
      cards.subscriptions.set(stats["subscriptions.count"]);
      cards.topics.set(stats["topics.count"]);
      cards.retained.set(stats["retained.count"]);
      cards.received.set(metrics["messages.received"]);
      cards.sent.set(metrics["messages.sent"]);
      cards.dropped.set(metrics["messages.dropped"]);

      const conn = { t: now, v: [stats["connections.count"] || 0] };
      connChart.push(conn.t, conn.v);
      pushBounded(history.conn, conn);
      connNow.textContent = num(stats["connections.count"]) + " now · max " + num(stats["connections.max"]);

      const received = metrics["messages.received"] || 0;
      const sent = metrics["messages.sent"] || 0;
      const last = history.last;
      const dt = last ? (now - last.t) / 1000 : 0;
      // After a long absence from the page a rate over the whole gap would mislead: start afresh.
      if (last && dt <= (4 * POLL_MS) / 1000) {
        // A counter that went down means the broker restarted: start the rate from zero again.
        const rIn = dt > 0 && received >= last.received ? (received - last.received) / dt : 0;
        const rOut = dt > 0 && sent >= last.sent ? (sent - last.sent) / dt : 0;
        const pt = { t: now, v: [rIn, rOut] };
        rateChart.push(pt.t, pt.v);
        pushBounded(history.rates, pt);
        rateNow.textContent = `in ${rate(rIn)}/s · out ${rate(rOut)}/s`;
      }
      history.last = { t: now, received, sent };

      nodeBox.replaceChildren(node ? nodeFacts(node, now) : ui.emptyState("The API reported no node."));
      trafficBox.replaceChildren(trafficFacts(metrics));
    }

    // One request set at a time: a slow broker must not pile up polls.
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      poll().finally(() => { busy = false; });
    };
    tick();
    ctx.every(POLL_MS, tick);
  }

  function nodeFacts(node, now) {
    return kvRows([
      ["Node", node.node],
      ["Status", ui.badge(node.node_status || "unknown", node.node_status === "running" ? "ok" : "warn")],
      ["Version", node.version],
      ["Uptime", duration(node.uptime)],
      ["Memory used", bytes(node.process_used_memory)],
      ["Load (1 / 5 / 15 min)", [node.load1, node.load5, node.load15].map((x) => (typeof x === "number" ? x.toFixed(2) : "—")).join(" / ")],
      ["Live connections", num(node.live_connections)],
      ["Checked at", time(now.toISOString())],
    ]);
  }

  function trafficFacts(metrics) {
    const perQos = (dir) => [0, 1, 2].map((q) => num(metrics[`messages.qos${q}.${dir}`])).join(" / ");
    return kvRows([
      ["Bytes received", bytes(metrics["bytes.received"])],
      ["Bytes sent", bytes(metrics["bytes.sent"])],
      ["Packets received", num(metrics["packets.received"])],
      ["Packets sent", num(metrics["packets.sent"])],
      ["QoS 0 / 1 / 2 received", perQos("received")],
      ["QoS 0 / 1 / 2 sent", perQos("sent")],
      ["Clients connected (total)", num(metrics["client.connected"])],
      ["Clients disconnected (total)", num(metrics["client.disconnected"])],
      ["Authentication failures", num(metrics["client.auth.failure"])],
    ]);
  }

  function pushBounded(arr, item) {
    arr.push(item);
    if (arr.length > MAX_POINTS) arr.splice(0, arr.length - MAX_POINTS);
  }

  Roost.pages.overview = { title: "Overview", render };
})(window);
