// Clients page (#/clients) and client detail (#/clients/<id>): a searchable, paged table of
// connected clients and offline sessions from /api/v5/clients, every field of one client with its
// subscriptions, and a Kick action that asks for confirmation before DELETE /api/v5/clients/<id>.
// The search form keeps its values in module state so returning from a detail view restores it.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, icon, num, time } = Roost.util;
  const { api, ui } = Roost;

  const LIMIT = 20;
  const filter = { like_clientid: "", username: "", ip_address: "", conn_state: "", page: 1 };

  function protoLabel(c) {
    const v = { 3: "3.1", 4: "3.1.1", 5: "5.0" }[c.proto_ver] || String(c.proto_ver);
    return (c.proto_name || "MQTT") + " v" + v;
  }

  function statusBadge(c) {
    return c.connected ? ui.badge("Connected", "ok") : ui.badge("Disconnected", "off");
  }

  function clientPath(id) {
    return "/api/v5/clients/" + encodeURIComponent(id);
  }

  async function kick(c, after) {
    const what = c.connected
      ? `Disconnect client "${c.clientid}"? It may reconnect by itself.`
      : `Remove the offline session of "${c.clientid}"? Its queued messages are discarded.`;
    if (!(await ui.confirm("Kick client", what, "Kick", true))) return;
    try {
      await api.del(clientPath(c.clientid));
      ui.toast(`Client "${c.clientid}" was kicked.`);
      after();
    } catch (err) {
      ui.error(err, "Kick " + c.clientid);
    }
  }

  function renderList(ctx) {
    const idInput = h("input", { class: "input sm", id: "client-search-id", placeholder: "Client ID", value: filter.like_clientid });
    const userInput = h("input", { class: "input sm", id: "client-search-user", placeholder: "Username", value: filter.username });
    const ipInput = h("input", { class: "input sm", id: "client-search-ip", placeholder: "IP address", value: filter.ip_address });
    const stateSel = h("select", { class: "input sm", id: "client-search-state" },
      [["", "All states"], ["connected", "Connected"], ["disconnected", "Disconnected"]].map(([v, l]) => h("option", { value: v, selected: filter.conn_state === v }, l)));
    const body = h("div", { class: "card-body flush" }, ui.loading());
    const countLabel = h("span", { class: "sub" });

    const search = (ev) => {
      if (ev) ev.preventDefault();
      filter.like_clientid = idInput.value.trim();
      filter.username = userInput.value.trim();
      filter.ip_address = ipInput.value.trim();
      filter.conn_state = stateSel.value;
      filter.page = 1;
      load();
    };
    const reset = () => {
      idInput.value = userInput.value = ipInput.value = "";
      stateSel.value = "";
      search();
    };
    stateSel.addEventListener("change", search);

    async function load() {
      let res;
      try {
        res = await api.get("/api/v5/clients", {
          page: filter.page, limit: LIMIT, like_clientid: filter.like_clientid, username: filter.username,
          ip_address: filter.ip_address, conn_state: filter.conn_state,
        });
      } catch (err) {
        if (!ctx.alive) return;
        body.replaceChildren(h("div", { class: "card-body" }, h("div", { class: "form-error" }, "Could not load clients: " + err.message)));
        ui.error(err, "Clients");
        return;
      }
      if (!ctx.alive) return;
      const rows = res.data || [];
      countLabel.textContent = Roost.util.plural((res.meta && res.meta.count) ?? rows.length, "client");
      body.replaceChildren(
        ui.table([
          { title: "Client ID", render: (c) => h("a", { href: "#/clients/" + encodeURIComponent(c.clientid), class: "mono client-link" }, c.clientid) },
          { title: "Username", render: (c) => c.username ?? h("span", { class: "hint" }, "—") },
          { title: "IP address", render: (c) => (c.ip_address ? c.ip_address + (c.port ? ":" + c.port : "") : "—") },
          { title: "Status", render: statusBadge },
          { title: "Protocol", render: protoLabel },
          { title: "Keepalive", class: "num", render: (c) => c.keepalive + " s" },
          { title: "Subs", class: "num", render: (c) => num(c.subscriptions_cnt) },
          { title: "Connected at", render: (c) => time(c.connected_at) },
          { title: "", class: "actions", render: (c) => h("span", null,
            ui.button("Details", { small: true, onclick: () => Roost.app.go("clients/" + encodeURIComponent(c.clientid)) }),
            ui.button("Kick", { small: true, kind: "ghost-danger", action: "kick", onclick: () => kick(c, load) })) },
        ], rows, filter.like_clientid || filter.username || filter.ip_address || filter.conn_state ? "No client matches the search." : "No clients are connected."),
        ui.pager(res.meta, (p) => { filter.page = p; load(); }));
    }

    ctx.container.append(
      ui.pageHead("Clients", "Connected MQTT clients and offline persistent sessions.",
        ui.button("Refresh", { icon: "refresh", onclick: load })),
      h("section", { class: "card" },
        h("form", { class: "toolbar", onsubmit: search },
          idInput, userInput, ipInput, stateSel,
          h("button", { class: "btn primary sm", type: "submit", id: "client-search" }, icon("search"), "Search"),
          h("button", { class: "btn sm", type: "button", onclick: reset }, "Reset"),
          h("span", { class: "grow" }), countLabel),
        body));
    load();
    ctx.every(10000, load);
  }

  async function renderDetail(ctx, id) {
    ctx.setCrumbs([["Clients", "#/clients"], id]);
    const head = h("div");
    const info = h("div", null, ui.loading());
    ctx.container.append(head, info);

    async function load() {
      let c, subs;
      try {
        [c, subs] = await Promise.all([api.get(clientPath(id)), api.get(clientPath(id) + "/subscriptions")]);
      } catch (err) {
        if (!ctx.alive) return;
        head.replaceChildren(ui.pageHead(id, null, ui.button("Back to clients", { icon: "back", onclick: () => Roost.app.go("clients") })));
        info.replaceChildren(ui.card(null, h("div", { class: "card-body" },
          h("div", { class: "form-error" }, err.status === 404 ? `Client "${id}" is not connected and has no session (${err.message}).` : "Could not load the client: " + err.message))));
        if (err.status !== 404) ui.error(err, "Client " + id);
        return;
      }
      if (!ctx.alive) return;
      head.replaceChildren(ui.pageHead(c.clientid, null,
        statusBadge(c),
        ui.button("Back", { icon: "back", onclick: () => Roost.app.go("clients") }),
        ui.button("Refresh", { icon: "refresh", onclick: load }),
        ui.button("Kick", { kind: "danger", icon: "kick", action: "kick", onclick: () => kick(c, () => Roost.app.go("clients")) })));
      const fields = (rows) => h("div", { class: "kv-cols" }, rows.map(([k, v]) => h("div", { class: "row" }, h("span", null, k), h("span", null, v ?? "—"))));
      info.replaceChildren(
        h("div", { class: "grid grid-2" },
          ui.card("Connection", h("div", { class: "card-body" }, fields([
            ["Client ID", c.clientid], ["Username", c.username], ["IP address", c.ip_address], ["Port", c.port],
            ["Listener", c.listener], ["Node", c.node], ["Protocol", protoLabel(c)], ["Keepalive", c.keepalive + " s"],
            ["Clean start", c.clean_start ? "true" : "false"], ["Session expiry", c.expiry_interval + " s"],
          ]))),
          ui.card("Session", h("div", { class: "card-body" }, fields([
            ["Status", c.connected ? "Connected" : "Disconnected"], ["Connected at", time(c.connected_at)],
            ["Disconnected at", time(c.disconnected_at)], ["Created at", time(c.created_at)],
            ["Subscriptions", num(c.subscriptions_cnt)], ["Message queue", num(c.mqueue_len)],
            ["In flight", num(c.inflight_cnt)], ["Messages received", num(c.recv_msg)], ["Messages sent", num(c.send_msg)],
          ])))),
        h("div", { style: "margin-top:18px" }, ui.card("Subscriptions", h("div", { class: "card-body flush" }, ui.table([
          { title: "Topic filter", render: (s) => h("span", { class: "mono" }, s.topic) },
          { title: "QoS", class: "num", render: (s) => s.qos },
          { title: "No local", class: "num", render: (s) => Roost.util.flag(s.nl) },
          { title: "Retain as published", class: "num", render: (s) => Roost.util.flag(s.rap) },
          { title: "Retain handling", class: "num", render: (s) => s.rh ?? "—" },
        ], subs, "This client has no subscriptions.")), h("span", { class: "sub" }, Roost.util.plural(subs.length, "filter")))));
    }
    await load();
  }

  function render(ctx) {
    if (ctx.params.length > 0) return renderDetail(ctx, ctx.params.join("/"));
    return renderList(ctx);
  }

  Roost.pages.clients = { title: "Clients", render };
})(window);
