// Subscriptions page (#/subscriptions): every subscription on the broker from /api/v5/subscriptions,
// filtered by client id, exact topic filter, QoS, or the filters that match a concrete topic name.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h } = Roost.util;
  const { ui } = Roost;

  function render(ctx) {
    const list = Roost.listing(ctx, {
      id: "subscriptions",
      title: "Subscriptions",
      path: "/api/v5/subscriptions",
      noun: "subscription",
      filters: [
        { name: "clientid", placeholder: "Client ID" },
        { name: "topic", placeholder: "Topic filter" },
        { name: "match_topic", placeholder: "Matches topic name" },
        { name: "qos", placeholder: "QoS", options: [["", "Any QoS"], ["0", "QoS 0"], ["1", "QoS 1"], ["2", "QoS 2"]] },
      ],
      columns: [
        { title: "Client ID", render: (s) => h("a", { class: "mono", href: "#/clients/" + encodeURIComponent(s.clientid) }, s.clientid) },
        { title: "Topic filter", render: (s) => h("span", { class: "mono" }, s.topic) },
        { title: "QoS", class: "num", render: (s) => s.qos },
        { title: "No local", class: "num", render: (s) => Roost.util.flag(s.nl) },
        { title: "Retain as published", class: "num", render: (s) => Roost.util.flag(s.rap) },
        { title: "Retain handling", class: "num", render: (s) => s.rh ?? "—" },
        { title: "Node", render: (s) => s.node || "—" },
      ],
      empty: "No client has subscribed to anything yet.",
    });
    ctx.container.append(
      ui.pageHead("Subscriptions", "Topic filters clients are subscribed to.", ui.button("Refresh", { icon: "refresh", onclick: list.reload })),
      list.el);
  }

  Roost.pages.subscriptions = { title: "Subscriptions", render };
})(window);
