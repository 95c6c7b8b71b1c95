// A paged, filterable table over one of the API's `{data, meta}` list endpoints — the common body of
// the Subscriptions, Topics, Retained and Users pages. It owns the filter toolbar, the request with
// page/limit/filters, the pager, and showing a failed request in place and as a toast.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, icon, plural } = Roost.util;
  const { api, ui } = Roost;

  // spec: {id, title, path, limit, filters: [{name, placeholder, options?: [[value, label]]}],
  //        columns, empty, emptyFiltered, noun (singular), extraTools: [nodes],
  //        explain(err) -> node|null: an error the page explains in place instead of toasting}
  function listing(ctx, spec) {
    const values = {};
    const limit = spec.limit || 20;
    let page = 1;
    const inputs = (spec.filters || []).map((f) => {
      const el = f.options
        ? h("select", { class: "input sm", id: spec.id + "-filter-" + f.name, "aria-label": f.placeholder }, f.options.map(([v, l]) => h("option", { value: v }, l)))
        : h("input", { class: "input sm", id: spec.id + "-filter-" + f.name, placeholder: f.placeholder, "aria-label": f.placeholder });
      if (f.options) el.addEventListener("change", () => search());
      return [f.name, el];
    });
    const body = h("div", { class: "card-body flush" }, ui.loading());
    const countLabel = h("span", { class: "sub" });

    function search(ev) {
      if (ev) ev.preventDefault();
      for (const [name, el] of inputs) values[name] = el.value.trim();
      page = 1;
      load();
    }

    function reset() {
      for (const [, el] of inputs) el.value = el.tagName === "SELECT" ? el.options[0].value : "";
      search();
    }

    async function load() {
      let res;
      try {
        res = await api.get(spec.path, Object.assign({ page, limit }, values));
      } catch (err) {
        if (!ctx.alive) return;
        countLabel.textContent = "";
        const explained = spec.explain ? spec.explain(err) : null;
        if (explained) {
          body.replaceChildren(explained);
          return;
        }
        body.replaceChildren(h("div", { class: "card-body" }, h("div", { class: "form-error" }, `Could not load the ${spec.noun}s: ${err.message}`)));
        ui.error(err, spec.title || spec.noun);
        return;
      }
      if (!ctx.alive) return;
      const rows = (res && res.data) || [];
      const filtered = Object.values(values).some((v) => v);
      countLabel.textContent = plural((res.meta && res.meta.count) ?? rows.length, spec.noun);
      body.replaceChildren(
        ui.table(spec.columns, rows, filtered ? spec.emptyFiltered || "Nothing matches the filter." : spec.empty),
        ui.pager(res.meta, (p) => { page = p; load(); }));
    }

    const toolbar = h("form", { class: "toolbar", onsubmit: search },
      inputs.map(([, el]) => el),
      inputs.length ? h("button", { class: "btn primary sm", type: "submit" }, icon("search"), "Search") : null,
      inputs.length ? h("button", { class: "btn sm", type: "button", onclick: reset }, "Reset") : null,
      h("span", { class: "grow" }),
      countLabel,
      spec.extraTools || null);
    const el = h("section", { class: "card", id: spec.id + "-card" }, toolbar, body);
    load();
    return { el, reload: load };
  }

  Roost.listing = listing;
})(window);
