// The application frame: hash router, the login and forced change-password screens, and the shell
// (sidebar navigation, top bar with node status and logout) that hosts every page. Pages register
// themselves in `Roost.pages` as {title, render(ctx)}; a page gets a fresh container each visit and
// registers its timers and sockets with `ctx.onLeave` so nothing keeps polling after it is left.
(function (global) {
  "use strict";
  const Roost = global.Roost || (global.Roost = {});
  const { h, icon } = Roost.util;
  const { api, ui } = Roost;
  Roost.pages = Roost.pages || {};

  const NAV = [
    { group: null, items: [{ route: "overview", label: "Overview", icon: "overview" }] },
    { group: "Monitoring", items: [
      { route: "clients", label: "Clients", icon: "clients" },
      { route: "subscriptions", label: "Subscriptions", icon: "subscriptions" },
      { route: "topics", label: "Topics", icon: "topics" },
      { route: "retained", label: "Retained Messages", icon: "retained" },
    ] },
    { group: "Management", items: [
      { route: "listeners", label: "Listeners", icon: "listeners" },
      { route: "users", label: "MQTT Users", icon: "users" },
    ] },
    { group: "Diagnose", items: [
      { route: "websocket", label: "WebSocket Client", icon: "websocket" },
      { route: "alarms", label: "Alarms & Logs", icon: "alarms" },
    ] },
  ];

  const state = {
    loginNotice: null, // message shown above the login form (e.g. why the session ended)
    lastPassword: null, // kept in memory only between login and the forced change step
    leave: [],
    shell: null,
  };

  function parseHash() {
    const raw = (location.hash || "").replace(/^#\/?/, "");
    const parts = raw.split("/").filter((p) => p !== "").map((p) => {
      try { return decodeURIComponent(p); } catch (_e) { return p; }
    });
    return { route: parts[0] || "", params: parts.slice(1) };
  }

  function go(path) {
    if (location.hash === "#/" + path) route();
    else location.hash = "#/" + path;
  }

  function runLeave() {
    const fns = state.leave;
    state.leave = [];
    for (const fn of fns) {
      try { fn(); } catch (err) { console.error("page cleanup failed", err); }
    }
  }

  function route() {
    runLeave();
    ui.closeModals();
    const { route: name, params } = parseHash();
    const s = api.session.load();
    const app = document.getElementById("app");
    if (!s || !s.token) {
      state.shell = null;
      if (name !== "login") { location.replace("#/login"); return; }
      renderLogin(app);
      return;
    }
    if (s.must_change_password) {
      state.shell = null;
      if (name !== "change-password") { location.replace("#/change-password"); return; }
      renderChangePassword(app, s);
      return;
    }
    if (name === "" || name === "login" || name === "change-password") { location.replace("#/overview"); return; }
    renderShell(app, s, name, params);
  }

  // ---------- login & password ----------

  function authLayout(app, box) {
    app.replaceChildren(h("div", { class: "login-page" },
      h("div", { class: "login-art" },
        h("div", { class: "brand", style: "padding:0" }, icon("logo"), h("div", null, h("div", { class: "brand-name" }, "Roost"), h("div", { class: "brand-sub" }, "MQTT Broker"))),
        h("div", null,
          h("h2", null, "Operate your MQTT broker with confidence."),
          h("p", null, "Watch connections and message rates live, inspect clients and their subscriptions, manage retained messages and MQTT users, and test with the built-in WebSocket client.")),
        h("div", { class: "feat" },
          h("div", null, h("b", null, "MQTT 5.0"), "3.1 · 3.1.1 · 5.0"),
          h("div", null, h("b", null, "TCP · TLS"), "and WebSocket"),
          h("div", null, h("b", null, "Drop-in"), "mosquitto.conf")),
        meshArt()),
      h("div", { class: "login-form-wrap" }, box)));
  }

  function meshArt() {
    return Roost.util.svg('<svg class="mesh" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" fill="none" stroke="#5fe0bd" stroke-width="1.2"><circle cx="200" cy="150" r="18" fill="#12a37f" stroke="none"/><g opacity=".9"><circle cx="70" cy="60" r="7"/><circle cx="330" cy="50" r="7"/><circle cx="360" cy="200" r="7"/><circle cx="60" cy="230" r="7"/><circle cx="200" cy="280" r="7"/><circle cx="130" cy="130" r="5"/><circle cx="280" cy="120" r="5"/></g><path d="M200 150 70 60M200 150l130-100M200 150l160 50M200 150 60 230M200 150v130M200 150l-70-20M200 150l80-30" stroke-dasharray="4 5"/></svg>');
  }

  function renderLogin(app) {
    const errBox = h("div", { class: "form-error", role: "alert", hidden: !state.loginNotice }, state.loginNotice || "");
    state.loginNotice = null;
    const user = h("input", { class: "input", id: "login-username", name: "username", autocomplete: "username", value: "", placeholder: "admin", required: true });
    const pass = h("input", { class: "input", id: "login-password", name: "password", type: "password", autocomplete: "current-password", placeholder: "Password", required: true });
    const submit = h("button", { class: "btn primary block", type: "submit", id: "login-submit" }, "Log in");
    const form = h("form", { class: "form-grid", onsubmit: async (ev) => {
      ev.preventDefault();
      submit.disabled = true;
      submit.textContent = "Logging in…";
      errBox.hidden = true;
      try {
        const res = await api.login(user.value.trim(), pass.value);
        state.lastPassword = res.must_change_password ? pass.value : null;
        go(res.must_change_password ? "change-password" : "overview");
      } catch (err) {
        errBox.textContent = loginMessage(err);
        errBox.hidden = false;
        submit.disabled = false;
        submit.textContent = "Log in";
        pass.select();
      }
    } },
    errBox,
    h("label", { class: "field" }, "Username", user),
    h("label", { class: "field" }, "Password", pass),
    submit);
    authLayout(app, h("div", { class: "login-box" },
      h("h1", null, "Welcome back"),
      h("p", { class: "lead" }, "Log in to the Roost dashboard."),
      form,
      h("p", { class: "foot" }, "The first login uses the default account admin / public; you will be asked to choose a new password.")));
    user.focus();
  }

  function loginMessage(err) {
    if (err.code === "BAD_USERNAME_OR_PWD") return "Wrong username or password.";
    if (err.status === 429) return "Too many login attempts. " + err.message;
    return err.message || String(err);
  }

  function renderChangePassword(app, s) {
    const errBox = h("div", { class: "form-error", role: "alert", hidden: true });
    const known = state.lastPassword;
    const oldPwd = h("input", { class: "input", id: "old-password", type: "password", autocomplete: "current-password", required: true, value: known || "" });
    const newPwd = h("input", { class: "input", id: "new-password", type: "password", autocomplete: "new-password", required: true, minlength: "8" });
    const again = h("input", { class: "input", id: "confirm-password", type: "password", autocomplete: "new-password", required: true });
    const submit = h("button", { class: "btn primary block", type: "submit", id: "change-submit" }, "Set password and continue");
    const form = h("form", { class: "form-grid", onsubmit: async (ev) => {
      ev.preventDefault();
      errBox.hidden = true;
      const problem = newPwd.value.length < 8 ? "The new password must have at least 8 characters."
        : newPwd.value === "public" ? "Choose a password other than the default."
          : newPwd.value !== again.value ? "The two new passwords differ." : null;
      if (problem) { errBox.textContent = problem; errBox.hidden = false; return; }
      submit.disabled = true;
      try {
        await api.changePassword(oldPwd.value, newPwd.value);
        state.lastPassword = null;
        ui.toast("Password changed. Welcome to Roost.");
        go("overview");
      } catch (err) {
        errBox.textContent = err.status === 401 ? "The current password is wrong." : err.message;
        errBox.hidden = false;
        submit.disabled = false;
      }
    } },
    errBox,
    h("input", { type: "text", name: "username", autocomplete: "username", value: s.username, hidden: true, readonly: true }),
    h("label", { class: "field", hidden: Boolean(known) }, "Current password", oldPwd),
    h("label", { class: "field" }, "New password", newPwd, h("span", { class: "hint" }, "At least 8 characters; not the default password.")),
    h("label", { class: "field" }, "Confirm new password", again),
    submit);
    authLayout(app, h("div", { class: "login-box" },
      h("div", { class: "banner info" }, icon("lock"), "You are using the default password."),
      h("h1", null, "Choose a new password"),
      h("p", { class: "lead" }, `Signed in as ${s.username}. Set a password of your own before you continue.`),
      form,
      h("p", { class: "foot" }, h("button", { class: "link-btn", type: "button", onclick: logout }, "Log out instead"))));
    (known ? newPwd : oldPwd).focus();
  }

  async function logout() {
    try {
      await api.logout();
    } catch (err) {
      ui.error(err, "Logout");
    }
    state.loginNotice = null;
    go("login");
  }

  // ---------- shell ----------

  function buildShell(app, s) {
    const nav = h("nav", { class: "nav", "aria-label": "Main" });
    for (const group of NAV) {
      if (group.group) nav.appendChild(h("div", { class: "nav-group" }, group.group));
      for (const item of group.items) {
        nav.appendChild(h("a", { href: "#/" + item.route, dataset: { route: item.route } }, icon(item.icon), item.label));
      }
    }
    const crumbs = h("div", { class: "crumbs", id: "crumbs" });
    const nodePill = h("span", { class: "node-pill", id: "node-pill", title: "Node status" }, h("span", { class: "dot" }), "…");
    const content = h("main", { class: "content", id: "content" });
    app.replaceChildren(h("div", { class: "shell" },
      h("aside", { class: "sidebar" }, h("div", { class: "sidebar-inner" },
        h("div", { class: "brand" }, icon("logo"), h("div", null, h("div", { class: "brand-name" }, "Roost"), h("div", { class: "brand-sub" }, "Dashboard"))),
        nav,
        h("div", { class: "sidebar-foot" }, "Roost ", s.version || ""))),
      h("div", { class: "main" },
        h("header", { class: "topbar" },
          crumbs,
          h("div", { class: "spacer" }),
          nodePill,
          h("div", { class: "user-menu" },
            h("span", { class: "avatar" }, (s.username || "?").slice(0, 1)),
            h("span", null, s.username),
            h("button", { class: "btn sm", type: "button", id: "logout", onclick: logout, title: "Log out" }, icon("logout"), "Log out"))),
        content)));
    state.shell = { nav, crumbs, content, nodePill };
    refreshNodePill();
  }

  // The node pill follows the broker while a shell is shown (the shell's state is dropped on logout).
  setInterval(() => { if (state.shell) refreshNodePill(); }, 10000);

  async function refreshNodePill() {
    const shell = state.shell;
    if (!shell) return;
    try {
      const nodes = await api.get("/api/v5/nodes");
      const node = Array.isArray(nodes) ? nodes[0] : null;
      const ok = node && node.node_status === "running";
      shell.nodePill.replaceChildren(h("span", { class: "dot " + (ok ? "ok" : "warn") }), node ? node.node : "no node");
      shell.nodePill.title = node ? `${node.node}: ${node.node_status}` : "The API reported no node";
    } catch (err) {
      shell.nodePill.replaceChildren(h("span", { class: "dot bad" }), err.status ? "status unknown" : "unreachable");
      shell.nodePill.title = err.message;
    }
  }

  function renderShell(app, s, name, params) {
    if (!state.shell) buildShell(app, s);
    const shell = state.shell;
    for (const a of shell.nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.route === name);
    const page = Roost.pages[name];
    const container = h("div", { class: "page", id: "page-" + name });
    shell.content.replaceChildren(container);
    window.scrollTo(0, 0);
    if (!page) {
      setCrumbs(["Not found"]);
      container.appendChild(ui.card(null, h("div", { class: "card-body" }, ui.emptyState(`There is no page "${name}".`), h("p", { style: "text-align:center" }, h("a", { href: "#/overview" }, "Go to the overview")))));
      return;
    }
    document.title = page.title + " · Roost Dashboard";
    const ctx = {
      container,
      params,
      setCrumbs,
      onLeave(fn) { state.leave.push(fn); },
      // true while this page is still the one shown; async work checks it before touching the DOM
      get alive() { return shell.content.contains(container); },
      every(ms, fn) {
        const id = setInterval(() => { if (ctx.alive) fn(); }, ms);
        state.leave.push(() => clearInterval(id));
      },
    };
    setCrumbs([page.title]);
    try {
      const result = page.render(ctx);
      if (result && typeof result.catch === "function") result.catch((err) => ui.error(err, page.title));
    } catch (err) {
      ui.error(err, page.title);
    }
  }

  // parts: strings or [label, href]
  function setCrumbs(parts) {
    if (!state.shell) return;
    const nodes = [];
    parts.forEach((p, i) => {
      if (i > 0) nodes.push(h("span", { class: "sep" }, "/"));
      nodes.push(Array.isArray(p) ? h("a", { href: p[1] }, p[0]) : h("span", null, p));
    });
    state.shell.crumbs.replaceChildren(...nodes);
  }

  api.onAuthLost = (why, err) => {
    if (why === "password") {
      go("change-password");
      return;
    }
    const reason = err && err.message ? err.message.replace(/\.?$/, ".") : "the session is no longer valid.";
    state.loginNotice = "You were logged out: " + reason + (/log ?in/i.test(reason) ? "" : " Please log in again.");
    state.shell = null;
    document.getElementById("toasts").replaceChildren(); // what they said belongs to the ended session
    go("login");
  };

  Roost.app = { go };
  window.addEventListener("hashchange", route);
  route();
})(window);
