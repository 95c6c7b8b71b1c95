// Retained messages page (#/retained): the retained store from /api/v5/mqtt/retainer/messages, a
// viewer that fetches one message and shows its payload as text or as a hex dump, and deletion with
// confirmation. Topics go into the path percent-encoded, slashes included, as the API requires.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, time, bytes, base64ToBytes, payloadText, hexDump } = Roost.util;
  const { api, ui } = Roost;

  function messagePath(topic) {
    return "/api/v5/mqtt/retainer/message/" + encodeURIComponent(topic);
  }

  async function remove(topic, after) {
    if (!(await ui.confirm("Delete retained message", `Delete the retained message on "${topic}"? New subscribers will no longer receive it.`, "Delete", true))) return;
    try {
      await api.del(messagePath(topic));
      ui.toast(`Retained message on "${topic}" deleted.`);
      after();
    } catch (err) {
      ui.error(err, "Delete " + topic);
    }
  }

  async function view(topic) {
    let msg;
    try {
      msg = await api.get(messagePath(topic));
    } catch (err) {
      ui.error(err, "Retained message " + topic);
      return;
    }
    let payload;
    try {
      payload = base64ToBytes(msg.payload);
    } catch (err) {
      ui.error(new Error("the payload is not valid base64"), "Retained message " + topic);
      return;
    }
    const { text, printable } = payloadText(payload);
    const box = h("pre", { class: "payload-box", id: "retained-payload" });
    const textBtn = h("button", { type: "button", id: "payload-as-text" }, "Text");
    const hexBtn = h("button", { type: "button", id: "payload-as-hex" }, "Hex");
    const show = (mode) => {
      textBtn.classList.toggle("on", mode === "text");
      hexBtn.classList.toggle("on", mode === "hex");
      if (mode === "hex") box.textContent = payload.length ? hexDump(payload) : "(empty payload)";
      else if (text === null) box.textContent = "The payload is not valid UTF-8: the hex view shows it exactly.";
      else box.textContent = text ? text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "\u00b7") : "(empty payload)";
    };
    textBtn.addEventListener("click", () => show("text"));
    hexBtn.addEventListener("click", () => show("hex"));
    show(printable ? "text" : "hex");
    const body = h("div", { class: "form-grid", style: "min-width:0" },
      h("dl", { class: "kv" },
        h("dt", null, "Topic"), h("dd", { class: "mono" }, msg.topic),
        h("dt", null, "QoS"), h("dd", null, String(msg.qos)),
        h("dt", null, "From"), h("dd", null, (msg.from_clientid || "—") + (msg.from_username ? " (" + msg.from_username + ")" : "")),
        h("dt", null, "Published"), h("dd", null, time(msg.publish_at)),
        h("dt", null, "Size"), h("dd", null, bytes(payload.length))),
      h("div", { style: "display:flex;justify-content:space-between;align-items:center" }, h("strong", null, "Payload"), h("div", { class: "seg" }, textBtn, hexBtn)),
      box);
    await ui.modal("Retained message", body, [{ label: "Close", value: null, kind: "primary" }], { wide: true });
  }

  function render(ctx) {
    const list = Roost.listing(ctx, {
      id: "retained",
      title: "Retained messages",
      path: "/api/v5/mqtt/retainer/messages",
      noun: "message",
      filters: [{ name: "topic", placeholder: "Topic filter, e.g. home/#" }],
      columns: [
        { title: "Topic", render: (m) => h("span", { class: "mono" }, m.topic) },
        { title: "QoS", class: "num", render: (m) => m.qos },
        { title: "From client", render: (m) => m.from_clientid || "—" },
        { title: "From user", render: (m) => m.from_username || "—" },
        { title: "Size", class: "num", render: (m) => bytes(m.payload_size) },
        { title: "Published at", render: (m) => time(m.publish_at) },
        { title: "", class: "actions", render: (m) => h("span", null,
          ui.button("View", { small: true, icon: "eye", action: "view", onclick: () => view(m.topic) }),
          ui.button("Delete", { small: true, kind: "ghost-danger", icon: "trash", action: "delete", onclick: () => remove(m.topic, list.reload) })) },
      ],
      empty: "No retained messages are stored. The broker's own $SYS topics are listed with the filter $SYS/#.",
      emptyFiltered: "No retained message matches this filter.",
    });
    ctx.container.append(
      ui.pageHead("Retained Messages", "Messages the broker keeps and hands to every new matching subscriber.", ui.button("Refresh", { icon: "refresh", onclick: list.reload })),
      list.el);
    ctx.every(15000, list.reload);
  }

  Roost.pages.retained = { title: "Retained Messages", render };
})(window);
