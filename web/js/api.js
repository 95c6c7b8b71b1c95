// The one place that talks HTTP to the admin API. It keeps the session (token, user, whether the
// password must change) in sessionStorage, attaches the bearer token, and turns every failure —
// HTTP error bodies, non-JSON answers, network errors — into an ApiError with a message a person
// can read. A 401 ends the session and a 403 PASSWORD_CHANGE_REQUIRED forces the change step; both
// are reported through `onAuthLost` so the app can route, and still thrown so callers stop.
(function (global) {
  "use strict";
  const Roost = global.Roost || (global.Roost = {});
  const KEY = "roost.session";

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.code = code;
    }
  }

  const session = {
    load() {
      try {
        const raw = sessionStorage.getItem(KEY);
        return raw ? JSON.parse(raw) : null;
      } catch (_err) {
        return null;
      }
    },
    save(value) { sessionStorage.setItem(KEY, JSON.stringify(value)); },
    clear() { sessionStorage.removeItem(KEY); },
  };

  const api = {
    ApiError,
    session,
    onAuthLost: null,

    query(params) {
      const parts = [];
      for (const [k, v] of Object.entries(params || {})) {
        if (v === undefined || v === null || v === "") continue;
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
      }
      return parts.length ? "?" + parts.join("&") : "";
    },

    async request(method, path, body, opts) {
      const headers = { Accept: "application/json" };
      const current = session.load();
      const anonymous = Boolean(opts && opts.anonymous);
      const quiet = anonymous || Boolean(opts && opts.quiet);
      if (current && current.token && !anonymous) headers.Authorization = "Bearer " + current.token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let resp;
      try {
        resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (err) {
        throw new ApiError(0, "NETWORK_ERROR", "Cannot reach the broker's dashboard API (" + (err && err.message ? err.message : "network error") + ").");
      }
      const text = await resp.text();
      let data = null;
      if (text) {
        try {
          data = JSON.parse(text);
        } catch (_err) {
          data = null;
        }
      }
      if (resp.ok) return text && data === null ? text : data;

      const code = (data && data.code) || "HTTP_" + resp.status;
      const message = (data && data.message) || (text && data === null ? text.slice(0, 300) : resp.status + " " + resp.statusText);
      const error = new ApiError(resp.status, code, message);
      if (!quiet && resp.status === 401 && api.onAuthLost) {
        error.authLost = true; // the login screen shows it; callers need not toast it again
        session.clear();
        api.onAuthLost("expired", error);
      } else if (!quiet && resp.status === 403 && code === "PASSWORD_CHANGE_REQUIRED" && api.onAuthLost) {
        error.authLost = true;
        const s = session.load();
        if (s) { s.must_change_password = true; session.save(s); }
        api.onAuthLost("password", error);
      }
      throw error;
    },

    get(path, params) { return api.request("GET", path + api.query(params)); },
    post(path, body) { return api.request("POST", path, body === undefined ? {} : body); },
    put(path, body) { return api.request("PUT", path, body); },
    del(path) { return api.request("DELETE", path); },

    async login(username, password) {
      const res = await api.request("POST", "/api/v5/login", { username, password }, { anonymous: true });
      session.save({ token: res.token, username, version: res.version, role: res.role, must_change_password: Boolean(res.must_change_password) });
      return res;
    },

    async changePassword(oldPwd, newPwd) {
      const s = session.load();
      await api.request("POST", "/api/v5/users/" + encodeURIComponent(s.username) + "/change_pwd", { old_pwd: oldPwd, new_pwd: newPwd }, { quiet: true });
      // A fresh token: the one issued before the change may be bound to the old password.
      await api.login(s.username, newPwd);
    },

    async logout() {
      const s = session.load();
      try {
        if (s) await api.request("POST", "/api/v5/logout", { username: s.username }, { quiet: true });
      } finally {
        session.clear();
      }
    },
  };

  Roost.api = api;
})(window);
