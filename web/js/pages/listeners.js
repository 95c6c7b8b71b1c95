// Listeners page (#/listeners): every listener the broker runs, from /api/v5/listeners, with its
// type, bind address, WebSocket path and connection counts against its limit.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, num } = Roost.util;
  const { api, ui } = Roost;

  const TYPES = { tcp: "MQTT over TCP", ssl: "MQTT over TLS", ws: "MQTT over WebSocket", wss: "MQTT over secure WebSocket" };

  function usage(l) {
    const cur = l.current_connections || 0;
    if (typeof l.max_connections !== "number" || l.max_connections <= 0) return h("span", null, num(cur) + " / ∞");
    const pct = Math.min(100, Math.round((cur / l.max_connections) * 100));
    return h("div", { style: "display:flex;align-items:center;gap:10px;justify-content:flex-end" },
      h("div", { style: "width:90px;height:6px;border-radius:3px;background:#eef1f5;overflow:hidden" },
        h("div", { style: `width:${pct}%;height:100%;background:${pct > 85 ? "var(--danger)" : "var(--primary)"}` })),
      num(cur) + " / " + num(l.max_connections));
  }

  function render(ctx) {
    const body = h("div", { class: "card-body flush" }, ui.loading());
    async function load() {
      let rows;
      try {
        rows = await api.get("/api/v5/listeners");
      } catch (err) {
        if (!ctx.alive) return;
        body.replaceChildren(h("div", { class: "card-body" }, h("div", { class: "form-error" }, "Could not load listeners: " + err.message)));
        ui.error(err, "Listeners");
        return;
      }
      if (!ctx.alive) return;
      body.replaceChildren(ui.table([
        { title: "ID", render: (l) => h("span", { class: "mono" }, l.id) },
        { title: "Type", render: (l) => h("span", null, h("span", { class: "badge info" }, (l.type || "").toUpperCase()), " ", h("span", { class: "hint" }, TYPES[l.type] || "")) },
        { title: "Bind", render: (l) => h("span", { class: "mono" }, l.bind) },
        { title: "Path", render: (l) => (l.path ? h("span", { class: "mono" }, l.path) : "—") },
        { title: "Status", render: (l) => (l.running ? ui.badge("Running", "ok") : ui.badge("Stopped", "bad")) },
        { title: "Connections", class: "num", render: usage },
      ], Array.isArray(rows) ? rows : [], "The broker reports no listeners."));
    }
    ctx.container.append(
      ui.pageHead("Listeners", "Network endpoints that accept MQTT connections.", ui.button("Refresh", { icon: "refresh", onclick: load })),
      ui.card("All listeners", body));
    load();
    ctx.every(5000, load);
  }

  Roost.pages.listeners = { title: "Listeners", render };
})(window);
