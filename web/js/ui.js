// Reusable widgets every page builds from: toasts for results and errors, a confirmation dialog,
// a form dialog, data tables with empty states, a pager over the API's {data, meta} pages, and a
// card/page header. They only build DOM and report through callbacks or promises; they never call
// the API themselves, so every error a page gets is shown by that page through `ui.error`.
(function (global) {
  "use strict";
  const Roost = global.Roost || (global.Roost = {});
  const { h, icon } = Roost.util;

  function toast(message, kind, ms) {
    const box = document.getElementById("toasts");
    const close = () => item.remove();
    const item = h("div", { class: "toast " + (kind || ""), role: kind === "error" ? "alert" : "status" },
      h("div", { class: "msg" }, message),
      h("button", { class: "x", type: "button", "aria-label": "Dismiss", onclick: close }, "×"));
    box.appendChild(item);
    setTimeout(close, ms || (kind === "error" ? 8000 : 3500));
    return item;
  }

  // Show an API or other failure to the person. A lost session (401) is not toasted here: the api
  // module has already sent the person to the login screen, which shows the reason.
  function error(err, what) {
    const text = err && err.message ? err.message : String(err);
    const prefix = what ? what + ": " : "";
    const status = err && err.status ? ` (${err.status}${err.code ? " " + err.code : ""})` : "";
    console.warn(prefix + text + status);
    if (err && err.authLost) return null;
    return toast(prefix + text + status, "error");
  }

  // buttons: [{label, kind, value, submit, onSubmit(form)}]; opts: {wide}. Resolves with the
  // chosen button's value, or null when dismissed (Escape, click outside).
  const openModals = new Set(); // dismiss functions of the dialogs shown now

  function modal(title, body, buttons, opts) {
    return new Promise((resolve) => {
      const back = h("div", { class: "modal-back" });
      const done = (value) => {
        back.remove();
        document.removeEventListener("keydown", onKey);
        openModals.delete(done);
        resolve(value);
      };
      openModals.add(done);
      const onKey = (ev) => { if (ev.key === "Escape") done(null); };
      const foot = h("div", { class: "modal-foot" });
      for (const b of buttons) {
        foot.appendChild(h("button", { class: "btn " + (b.kind || ""), type: b.submit ? "submit" : "button", onclick: b.submit ? null : () => done(b.value) }, b.label));
      }
      const dialog = h("form", { class: "modal" + (opts && opts.wide ? " wide" : ""), role: "dialog", "aria-modal": "true", "aria-label": title },
        h("div", { class: "modal-head" }, title),
        h("div", { class: "modal-body" }, body),
        foot);
      dialog.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const submit = buttons.find((b) => b.submit);
        if (!submit) return;
        const value = submit.onSubmit ? await submit.onSubmit(dialog) : submit.value;
        if (value !== undefined) done(value);
      });
      back.addEventListener("mousedown", (ev) => { if (ev.target === back) done(null); });
      document.addEventListener("keydown", onKey);
      back.appendChild(dialog);
      document.body.appendChild(back);
      const first = dialog.querySelector("input, textarea, select") || dialog.querySelector(".btn.danger, .btn.primary");
      if (first) first.focus();
    });
  }

  // Dismisses every open dialog (as if cancelled): the router calls it when the page changes.
  function closeModals() {
    for (const done of [...openModals]) done(null);
  }

  function confirm(title, message, okLabel, danger) {
    return modal(title, h("p", { style: "margin:0" }, message), [
      { label: "Cancel", value: false },
      { label: okLabel || "Confirm", kind: danger === false ? "primary" : "danger", value: true, submit: true },
    ]).then((v) => v === true);
  }

  // fields: [{name, label, type, value, placeholder, hint}]; submit(values) may throw to keep the dialog open.
  function formDialog(title, fields, okLabel, submit) {
    const errBox = h("div", { class: "form-error", hidden: true });
    const inputs = fields.map((f) => h("label", { class: "field" }, f.label,
      h("input", { class: "input", name: f.name, type: f.type || "text", value: f.value || "", placeholder: f.placeholder || "", autocomplete: "off", required: f.optional ? null : true, readonly: f.readonly || null }),
      f.hint ? h("span", { class: "hint" }, f.hint) : null));
    const body = h("div", { class: "form-grid" }, errBox, inputs);
    return modal(title, body, [
      { label: "Cancel", value: null },
      {
        label: okLabel || "Save", kind: "primary", submit: true,
        onSubmit: async (form) => {
          const values = {};
          for (const f of fields) values[f.name] = form.elements[f.name].value;
          try {
            errBox.hidden = true;
            return (await submit(values)) || values;
          } catch (err) {
            errBox.textContent = err && err.message ? err.message : String(err);
            errBox.hidden = false;
            return undefined;
          }
        },
      },
    ]);
  }

  function emptyState(text, iconName) {
    return h("div", { class: "empty" }, icon(iconName || "inbox"), text);
  }

  function loading() {
    return h("div", { class: "loading" }, h("span", { class: "spinner", "aria-label": "Loading" }));
  }

  // columns: [{title, render(row) -> node|string, class}]
  function table(columns, rows, emptyText) {
    if (!rows || rows.length === 0) return emptyState(emptyText || "No data");
    return h("div", { class: "table-wrap" },
      h("table", { class: "data" },
        h("thead", null, h("tr", null, columns.map((c) => h("th", { class: c.class || null }, c.title)))),
        h("tbody", null, rows.map((row) => h("tr", null, columns.map((c) => h("td", { class: c.class || null }, c.render(row))))))));
  }

  function pager(meta, onPage) {
    const page = (meta && meta.page) || 1;
    const limit = (meta && meta.limit) || 20;
    const count = meta && typeof meta.count === "number" ? meta.count : null;
    const pages = count === null ? null : Math.max(1, Math.ceil(count / limit));
    const hasNext = meta && (meta.hasnext === true || (pages !== null && page < pages));
    return h("div", { class: "pager" },
      h("span", null, count === null ? `Page ${page}` : `${Roost.util.num(count)} total · page ${page} of ${pages}`),
      h("button", { class: "btn sm", type: "button", disabled: page <= 1, onclick: () => onPage(page - 1), "aria-label": "Previous page" }, "‹ Prev"),
      h("button", { class: "btn sm", type: "button", disabled: !hasNext, onclick: () => onPage(page + 1), "aria-label": "Next page" }, "Next ›"));
  }

  function pageHead(title, subtitle, ...actions) {
    return h("div", { class: "page-head" },
      h("div", null, h("h1", null, title), subtitle ? h("p", null, subtitle) : null),
      h("div", { style: "display:flex;gap:10px" }, actions));
  }

  function card(title, body, extra) {
    return h("section", { class: "card" },
      title ? h("div", { class: "card-head" }, h("h2", null, title), extra || null) : null,
      body);
  }

  function badge(text, kind) {
    return h("span", { class: "badge " + (kind || "off") }, h("span", { class: "dot" + (kind === "ok" ? " ok" : kind === "bad" ? " bad" : "") }), text);
  }

  function button(label, opts) {
    const o = opts || {};
    return h("button", { class: "btn " + (o.kind || "") + (o.small ? " sm" : ""), type: "button", onclick: o.onclick, title: o.title || null, "data-action": o.action || null },
      o.icon ? icon(o.icon) : null, label);
  }

  Roost.ui = { toast, error, modal, closeModals, confirm, formDialog, emptyState, loading, table, pager, pageHead, card, badge, button };
})(window);
