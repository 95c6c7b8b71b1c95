// MQTT users page (#/users): the accounts of the broker's password file, through the
// password_based:built_in_database users API: list and search, add, change a password, delete.
// When no password_file is configured the API answers NO_PASSWORD_FILE and the page says so.
(function (global) {
  "use strict";
  const Roost = global.Roost;
  const { h } = Roost.util;
  const { api, ui } = Roost;
  const BASE = "/api/v5/authentication/password_based:built_in_database/users";

  function userPath(id) {
    return BASE + "/" + encodeURIComponent(id);
  }

  function passwordProblem(pwd, again) {
    if (!pwd) return "Enter a password.";
    if (pwd !== again) return "The two passwords differ.";
    return null;
  }

  function render(ctx) {
    const addBtn = ui.button("Add user", { kind: "primary", icon: "plus", action: "add-user", onclick: () => add() });
    const add = async () => {
      const res = await ui.formDialog("Add MQTT user", [
        { name: "user_id", label: "Username", placeholder: "e.g. sensor-gateway" },
        { name: "password", label: "Password", type: "password" },
        { name: "again", label: "Confirm password", type: "password" },
      ], "Add user", async (v) => {
        const problem = !v.user_id.trim() ? "Enter a username." : passwordProblem(v.password, v.again);
        if (problem) throw new Error(problem);
        await api.post(BASE, { user_id: v.user_id.trim(), password: v.password });
      });
      if (res) {
        ui.toast(`User "${res.user_id.trim()}" added.`);
        list.reload();
      }
    };

    const changePwd = async (u) => {
      const res = await ui.formDialog(`Change password of "${u.user_id}"`, [
        { name: "password", label: "New password", type: "password" },
        { name: "again", label: "Confirm new password", type: "password" },
      ], "Change password", async (v) => {
        const problem = passwordProblem(v.password, v.again);
        if (problem) throw new Error(problem);
        await api.put(userPath(u.user_id), { password: v.password });
      });
      if (res) ui.toast(`Password of "${u.user_id}" changed.`);
    };

    const remove = async (u) => {
      if (!(await ui.confirm("Delete MQTT user", `Delete "${u.user_id}"? Clients using this account can no longer connect.`, "Delete", true))) return;
      try {
        await api.del(userPath(u.user_id));
        ui.toast(`User "${u.user_id}" deleted.`);
        list.reload();
      } catch (err) {
        ui.error(err, "Delete " + u.user_id);
      }
    };

    const list = Roost.listing(ctx, {
      id: "users",
      title: "MQTT users",
      path: BASE,
      noun: "user",
      filters: [{ name: "like_user_id", placeholder: "Username" }],
      columns: [
        { title: "Username", render: (u) => h("span", { class: "mono" }, u.user_id) },
        { title: "Superuser", render: (u) => (u.is_superuser ? ui.badge("Yes", "warn") : ui.badge("No", "off")) },
        { title: "", class: "actions", render: (u) => h("span", null,
          ui.button("Change password", { small: true, icon: "key", action: "change-password", onclick: () => changePwd(u) }),
          ui.button("Delete", { small: true, kind: "ghost-danger", icon: "trash", action: "delete", onclick: () => remove(u) })) },
      ],
      empty: "The password file has no users yet.",
      explain: (err) => {
        if (err.code !== "NO_PASSWORD_FILE") return null;
        addBtn.disabled = true;
        return h("div", { class: "empty", id: "users-no-file" }, Roost.util.icon("lock"),
          h("div", { style: "font-weight:600;color:var(--text);margin-bottom:6px" }, "No password file is configured"),
          h("div", null, "MQTT users are kept in the broker's password file, which this broker does not have."),
          h("div", { class: "hint", style: "margin-top:6px" }, err.message.charAt(0).toUpperCase() + err.message.slice(1).replace(/\.?$/, "."),
            " Then restart or reload the broker."));
      },
    });
    ctx.container.append(
      ui.pageHead("MQTT Users", "Accounts in the broker's password file that MQTT clients log in with.",
        ui.button("Refresh", { icon: "refresh", onclick: list.reload }), addBtn),
      list.el);
  }

  Roost.pages.users = { title: "MQTT Users", render };
})(window);
