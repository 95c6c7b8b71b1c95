// Topics page (#/topics): the distinct topic filters with at least one subscriber, from /api/v5/topics.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h } = Roost.util;
  const { ui } = Roost;

  function render(ctx) {
    const list = Roost.listing(ctx, {
      id: "topics",
      title: "Topics",
      path: "/api/v5/topics",
      noun: "topic",
      filters: [{ name: "topic", placeholder: "Topic" }],
      columns: [
        { title: "Topic", render: (t) => h("span", { class: "mono" }, t.topic) },
        { title: "Subscribers", render: (t) => h("a", { href: "#/subscriptions", onclick: (ev) => { ev.preventDefault(); showSubscribers(t.topic); } }, "Show subscribers") },
        { title: "Node", render: (t) => t.node || "—" },
      ],
      empty: "No topic has subscribers.",
    });
    ctx.container.append(
      ui.pageHead("Topics", "Distinct topic filters that have at least one subscriber.", ui.button("Refresh", { icon: "refresh", onclick: list.reload })),
      list.el);
  }

  async function showSubscribers(topic) {
    let res;
    try {
      res = await Roost.api.get("/api/v5/subscriptions", { topic, limit: 100 });
    } catch (err) {
      ui.error(err, "Subscribers of " + topic);
      return;
    }
    const rows = res.data || [];
    await ui.modal("Subscribers of " + topic, ui.table([
      { title: "Client ID", render: (s) => h("a", { class: "mono", href: "#/clients/" + encodeURIComponent(s.clientid) }, s.clientid) },
      { title: "QoS", class: "num", render: (s) => s.qos },
    ], rows, "Nobody is subscribed any more."), [{ label: "Close", value: null, kind: "primary" }]);
  }

  Roost.pages.topics = { title: "Topics", render };
})(window);
