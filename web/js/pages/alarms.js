// Alarms & logs page (#/alarms): active alarms from /api/v5/alarms and the broker's own recent
// warnings and errors from /api/v5/logs/recent, newest first, filterable by level.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h, time } = Roost.util;
  const { api, ui } = Roost;

  const LEVEL_KIND = { ERROR: "bad", WARN: "warn", INFO: "info" };

  function render(ctx) {
    const alarmBody = h("div", { class: "card-body flush" }, ui.loading());
    const logBody = h("div", { class: "card-body flush", id: "log-lines" }, ui.loading());
    let level = "";
    let logs = [];
    const seg = h("div", { class: "seg" }, [["", "All"], ["ERROR", "Errors"], ["WARN", "Warnings"], ["INFO", "Info"]].map(([v, l]) =>
      h("button", { type: "button", class: v === level ? "on" : "", onclick: (ev) => {
        level = v;
        for (const b of seg.children) b.classList.toggle("on", b === ev.currentTarget);
        drawLogs();
      } }, l)));

    function drawLogs() {
      const shown = level ? logs.filter((l) => (l.level || "").toUpperCase() === level) : logs;
      logBody.replaceChildren(shown.length === 0 ? ui.emptyState(level ? "No log lines at this level." : "Nothing logged recently.")
        : h("div", null, shown.map((l) => h("div", { class: "log-line" },
          h("time", null, time(l.time)),
          h("span", null, h("span", { class: "badge " + (LEVEL_KIND[(l.level || "").toUpperCase()] || "off") }, l.level)),
          h("span", { class: "m" }, l.message)))));
    }

    async function load() {
      const [alarms, recent] = await Promise.allSettled([api.get("/api/v5/alarms"), api.get("/api/v5/logs/recent", { limit: 200 })]);
      if (!ctx.alive) return;
      if (alarms.status === "fulfilled") {
        const rows = (alarms.value && alarms.value.data) || [];
        alarmBody.replaceChildren(ui.table([
          { title: "Alarm", render: (a) => h("strong", null, a.name) },
          { title: "Message", class: "wrap", render: (a) => a.message },
          { title: "Details", class: "wrap", render: (a) => h("span", { class: "mono" }, a.details && Object.keys(a.details).length ? JSON.stringify(a.details) : "—") },
          { title: "Node", render: (a) => a.node },
          { title: "Activated at", render: (a) => time(a.activate_at) },
          { title: "State", render: (a) => (a.activated ? ui.badge("Active", "bad") : ui.badge("Cleared", "off")) },
        ], rows, "No active alarms. All clear."));
      } else {
        alarmBody.replaceChildren(h("div", { class: "card-body" }, h("div", { class: "form-error" }, "Could not load alarms: " + alarms.reason.message)));
        ui.error(alarms.reason, "Alarms");
      }
      if (recent.status === "fulfilled") {
        logs = Array.isArray(recent.value) ? recent.value : [];
        drawLogs();
      } else {
        logBody.replaceChildren(h("div", { class: "card-body" }, h("div", { class: "form-error" }, "Could not load recent logs: " + recent.reason.message)));
        ui.error(recent.reason, "Recent logs");
      }
    }

    ctx.container.append(
      ui.pageHead("Alarms & Logs", "Conditions that need attention and the broker's recent warnings.", ui.button("Refresh", { icon: "refresh", onclick: load })),
      ui.card("Active alarms", alarmBody),
      h("div", { style: "margin-top:18px" }, ui.card("Recent log", logBody, seg)));
    load();
    ctx.every(10000, load);
  }

  Roost.pages.alarms = { title: "Alarms & Logs", render };
})(window);
