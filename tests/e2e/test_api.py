"""The dashboard's REST API (/api/v5, EMQX 5 paths and shapes) over real HTTP with `requests`
against the real broker, with MQTT clients nobody here wrote on the other side: paho-mqtt,
mosquitto_pub and mosquitto_sub. See api_harness.py for the broker's configuration.
"""

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from api_harness import (NEW_PASSWORD, Api, Authed, basic, dashboard_conf, parse_prometheus,
                         quote_topic, wait_value)
from harness import (HOST, IS_MOSQUITTO, ROOST_BIN, V311, V5, Client, MosquittoSub,
                     connack_code, free_port, mosquitto_pub, unique_id, unique_topic,
                     wait_until)

pytestmark = pytest.mark.roost_only

if IS_MOSQUITTO:
    pytest.skip("the HTTP API is Roost's", allow_module_level=True)


@pytest.fixture
def api(broker, tmp_path):
    """A broker with the dashboard on {port2}; `api.broker` is the broker."""
    def start(extra=()):
        return Api(broker(conf=dashboard_conf(tmp_path, extra)))
    return start


@pytest.fixture
def authed(api):
    a = api()
    return Authed(a, a.first_login())


@pytest.fixture
def clients():
    made = []

    def make(b, **kw):
        c = Client(b, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def path_with_values(path):
    return path.replace("{", "").replace("}", "")


# ------------------------------------------------------------------ auth

def test_status_needs_no_login(api):
    a = api()
    for path in ("/status", "/api/v5/status"):
        r = a.call("GET", path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        assert "is started" in r.text and "roost is running" in r.text


def test_every_route_but_status_and_login_needs_a_login(authed):
    a = authed.api
    doc = authed.json("/api-docs")
    open_routes = sorted(p for p, ops in doc["paths"].items()
                         for op in ops.values() if not op["security"])
    assert open_routes == ["/api/v5/login", "/api/v5/status", "/status"]
    protected = [(m, p) for p, ops in doc["paths"].items() for m, op in ops.items()
                 if op["security"]]
    assert len(protected) >= 30, protected
    for method, path in protected:
        r = a.call(method.upper(), path_with_values(path), json={})
        assert r.status_code == 401, f"{method} {path}: {r.status_code} {r.text}"
        assert r.json()["code"] == "BAD_TOKEN"


def test_wrong_password_or_user_is_401(api):
    a = api()
    for user, password in [("admin", "wrong"), ("nobody", "public"), ("admin", "")]:
        r = a.login(user, password)
        assert r.status_code == 401
        assert r.json() == {"code": "BAD_USERNAME_OR_PWD", "message": "Auth failed"}


def test_failed_logins_are_rate_limited_per_address(api):
    a = api()
    for _ in range(5):
        assert a.login("admin", "wrong").status_code == 401
    r = a.login("admin", "wrong")
    assert r.status_code == 429 and r.json()["code"] == "TOO_MANY_REQUESTS"
    # Even the right password waits out the window.
    assert a.login().status_code == 429


def test_first_login_must_change_the_default_password(api):
    a = api()
    r = a.login()
    assert r.status_code == 200
    body = r.json()
    assert body["must_change_password"] is True and body["role"] == "administrator"
    token = body["token"]
    r = a.call("GET", "/api/v5/stats", token)
    assert r.status_code == 403 and r.json()["code"] == "PASSWORD_CHANGE_REQUIRED"
    change = "/api/v5/users/admin/change_pwd"
    for bad in ("short", "public"):
        r = a.call("POST", change, token, json={"old_pwd": "public", "new_pwd": bad})
        assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    r = a.call("POST", change, token, json={"old_pwd": "nope", "new_pwd": NEW_PASSWORD})
    assert r.status_code == 401
    r = a.call("POST", change, token, json={"old_pwd": "public", "new_pwd": NEW_PASSWORD})
    assert r.status_code == 204
    assert a.call("GET", "/api/v5/stats", token).status_code == 200
    assert a.login().status_code == 401
    again = a.login("admin", NEW_PASSWORD).json()
    assert again["must_change_password"] is False

    # Stored hashed, private, and kept across a restart.
    auth_file = a.broker.workdir.parent / "dashboard.json"
    text = auth_file.read_text()
    assert NEW_PASSWORD not in text and "$7$" in text
    assert oct(os.stat(auth_file).st_mode & 0o777) == "0o600"
    a.broker.restart()
    assert a.login("admin", NEW_PASSWORD).status_code == 200
    assert a.call("GET", "/api/v5/stats", token).status_code == 401, "a restart voids tokens"


def test_garbled_expired_and_logged_out_tokens_are_refused(api):
    a = api(extra=["dashboard_token_expiry 2"])
    token = a.first_login()
    assert a.call("GET", "/api/v5/nodes", token).status_code == 200
    for bad in (token[:-3] + "abc", "garbage", token + "x", ""):
        r = a.call("GET", "/api/v5/nodes", bad)
        assert r.status_code == 401 and r.json()["code"] == "BAD_TOKEN", bad
    r = a.call("GET", "/api/v5/nodes", headers={"Authorization": "Token " + token})
    assert r.status_code == 401
    time.sleep(2.5)
    r = a.call("GET", "/api/v5/nodes", token)
    assert r.status_code == 401 and r.json()["code"] == "TOKEN_TIME_OUT"

    fresh = a.login("admin", NEW_PASSWORD).json()["token"]
    assert a.call("POST", "/api/v5/logout", fresh, json={"username": "admin"}).status_code == 204
    r = a.call("GET", "/api/v5/nodes", fresh)
    assert r.status_code == 401 and r.json()["code"] == "BAD_TOKEN"


def test_malformed_json_is_400(authed):
    a = authed.api
    r = a.call("POST", "/api/v5/login", data="{not json")
    assert r.status_code == 400 and r.json()["code"] == "BAD_REQUEST"
    r = authed.send("POST", "/api/v5/publish", 400, data="[1,")
    assert r.json()["code"] == "BAD_REQUEST"
    r = authed.send("POST", "/api/v5/publish", 400, json={"payload": "no topic"})
    assert r.json()["code"] == "BAD_REQUEST"
    r = authed.get("/api/v5/clients?limit=zero", expect=400)
    assert r.json()["code"] == "BAD_REQUEST"


def test_api_keys_over_http_basic(authed):
    a = authed.api
    made = authed.send("POST", "/api/v5/api_key", 200,
                       json={"name": "ci", "desc": "for scripts"}).json()
    key, secret = made["api_key"], made["api_secret"]
    assert made["enable"] is True and made["expired_at"] is None
    headers = {"Authorization": basic(key, secret)}
    assert a.call("GET", "/api/v5/stats", headers=headers).status_code == 200

    listed = authed.json("/api/v5/api_key")
    assert [k["name"] for k in listed] == ["ci"]
    assert "api_secret" not in listed[0] and secret not in json.dumps(listed)
    assert authed.json("/api/v5/api_key/ci")["desc"] == "for scripts"
    authed.send("POST", "/api/v5/api_key", 409, json={"name": "ci"})
    authed.send("POST", "/api/v5/api_key", 400, json={"name": "bad name!"})
    authed.get("/api/v5/api_key/none", expect=404)

    for bad in (basic(key, "wrong"), basic("nokey", secret), "Basic !!!", "Basic "):
        r = a.call("GET", "/api/v5/stats", headers={"Authorization": bad})
        assert r.status_code == 401 and r.json()["code"] == "BAD_API_KEY_OR_SECRET", bad

    authed.send("PUT", "/api/v5/api_key/ci", 200, json={"enable": False})
    assert a.call("GET", "/api/v5/stats", headers=headers).status_code == 401
    authed.send("PUT", "/api/v5/api_key/ci", 200,
                json={"enable": True, "expired_at": "2001-01-01T00:00:00Z"})
    assert a.call("GET", "/api/v5/stats", headers=headers).status_code == 401
    authed.send("PUT", "/api/v5/api_key/ci", 200, json={"expired_at": None})
    assert a.call("GET", "/api/v5/stats", headers=headers).status_code == 200
    authed.send("DELETE", "/api/v5/api_key/ci", 204)
    authed.send("DELETE", "/api/v5/api_key/ci", 404)
    assert a.call("GET", "/api/v5/stats", headers=headers).status_code == 401


# ------------------------------------------------------------------ broker state

def test_stats_metrics_and_nodes_follow_the_broker(authed, clients):
    b = authed.api.broker
    before = authed.json("/api/v5/metrics?aggregate=true")
    c = clients(b)
    c.ok()
    c.subscribe("stats/#", qos=1)
    c.publish("stats/a", b"x", qos=1)
    c.wait_for(1)
    stats = authed.json("/api/v5/stats")
    assert len(stats) == 1 and stats[0]["node"].startswith("roost@")
    s = stats[0]
    assert s["live_connections.count"] == 1 and s["connections.count"] == 1
    assert s["subscriptions.count"] == 1 and s["topics.count"] == 1
    assert authed.json("/api/v5/stats?aggregate=true")["sessions.count"] == 1
    # The subscriber's PUBACK may still be on its way when the message has arrived.
    after = wait_value(lambda: authed.json("/api/v5/metrics?aggregate=true"),
                       lambda m: m["packets.received"] >= before["packets.received"] + 4,
                       what="CONNECT, SUBSCRIBE, PUBLISH and PUBACK counted")
    assert after["messages.received"] == before["messages.received"] + 1
    assert after["messages.qos1.received"] == before["messages.qos1.received"] + 1
    assert after["messages.qos1.sent"] == before["messages.qos1.sent"] + 1
    assert after["client.connected"] == before["client.connected"] + 1
    assert after["bytes.received"] > before["bytes.received"]
    assert connack_code(b, "alice", "wrong") != 0
    after = wait_value(lambda: authed.json("/api/v5/metrics?aggregate=true"),
                       lambda m: m["client.auth.failure"] == 1, what="an auth failure")
    node = authed.json("/api/v5/nodes")[0]
    assert node["node_status"] == "running" and node["live_connections"] == 1
    assert node["uptime"] > 0 and node["process_used_memory"] > 1_000_000


def test_clients_paging_and_every_filter(authed, clients):
    b = authed.api.broker
    for i in range(5):
        clients(b, client_id=f"dev-{i}", username="alice" if i < 2 else None,
                password="alice-pw" if i < 2 else None, version=V5 if i % 2 else V311).ok()
    gone = clients(b, client_id="sleeper", version=V311, clean=False)
    gone.ok()
    gone.disconnect()

    def ids(query):
        body = authed.json("/api/v5/clients" + query)
        return sorted(c["clientid"] for c in body["data"]), body["meta"]

    everyone = wait_value(lambda: ids("?limit=100"), lambda r: r[1]["count"] == 6)[0]
    assert everyone == ["dev-0", "dev-1", "dev-2", "dev-3", "dev-4", "sleeper"]
    page1, meta1 = ids("?page=1&limit=4")
    page2, meta2 = ids("?page=2&limit=4")
    assert len(page1) == 4 and len(page2) == 2 and not set(page1) & set(page2)
    assert meta1 == {"page": 1, "limit": 4, "count": 6, "hasnext": True}
    assert meta2["hasnext"] is False
    assert ids("?clientid=dev-3")[0] == ["dev-3"]
    assert ids("?username=alice")[0] == ["dev-0", "dev-1"]
    assert ids("?like_clientid=dev-")[0] == ["dev-0", "dev-1", "dev-2", "dev-3", "dev-4"]
    assert ids("?like_username=lic")[0] == ["dev-0", "dev-1"]
    assert ids("?ip_address=127.0.0.1")[1]["count"] == 6
    assert ids("?ip_address=10.9.9.9")[0] == []
    assert ids("?conn_state=disconnected")[0] == ["sleeper"]
    assert len(ids("?conn_state=connected")[0]) == 5
    assert ids("?proto_ver=5")[0] == ["dev-1", "dev-3"]
    authed.get("/api/v5/clients?conn_state=maybe", expect=400)
    authed.get("/api/v5/clients?page=0", expect=400)
    authed.get("/api/v5/clients?limit=10001", expect=400)


def test_client_detail_and_unknown_client(authed, clients):
    b = authed.api.broker
    c = clients(b, client_id="detail-1", username="alice", password="alice-pw")
    c.ok(keepalive=30)
    c.subscribe("d/+", qos=2)
    one = authed.json("/api/v5/clients/detail-1")
    assert one["clientid"] == "detail-1" and one["username"] == "alice"
    assert one["connected"] is True and one["proto_ver"] == 5 and one["proto_name"] == "MQTT"
    assert one["ip_address"] == "127.0.0.1" and one["port"] > 0
    assert one["keepalive"] == 30 and one["subscriptions_cnt"] == 1
    assert one["listener"] == "tcp:default" and one["connected_at"].endswith("Z")
    assert one["disconnected_at"] is None
    for method, path in [("GET", "/api/v5/clients/nobody"),
                         ("DELETE", "/api/v5/clients/nobody"),
                         ("GET", "/api/v5/clients/nobody/subscriptions")]:
        r = authed.send(method, path, 404)
        assert r.json() == {"code": "CLIENTID_NOT_FOUND", "message": "Client ID not found"}


def test_kick_sends_mqtt5_clients_disconnect_0x98(authed, clients):
    b = authed.api.broker
    c = clients(b, client_id="kick-me")
    c.ok()
    authed.send("DELETE", "/api/v5/clients/kick-me", 204)
    reason, _ = c.wait_disconnected()
    assert reason.value == 0x98, reason
    authed.get("/api/v5/clients/kick-me", expect=404)


def test_kicked_mosquitto_sub_exits(authed):
    b = authed.api.broker
    sub = MosquittoSub(b, "kick/#", version="mqttv5", extra=["-i", "kick-sub"])
    try:
        sub.wait_subscribed()
        authed.send("DELETE", "/api/v5/clients/kick-sub", 204)
        sub.proc.wait(10)
        assert sub.proc.returncode is not None
    finally:
        sub.stop()
    assert authed.json("/api/v5/clients?clientid=kick-sub")["meta"]["count"] == 0


def test_subscriptions_and_topics(authed, clients):
    b = authed.api.broker
    a = clients(b, client_id="sub-a")
    a.ok()
    a.subscribe("room/+/temp", qos=1, no_local=True)
    a.subscribe("room/#", qos=0, retain_as_published=True, retain_handling=2)
    z = clients(b, client_id="sub-z", version=V311)
    z.ok()
    z.subscribe("room/+/temp", qos=2)

    subs = authed.json("/api/v5/clients/sub-a/subscriptions")
    assert sorted((s["topic"], s["qos"], s["nl"], s["rap"], s["rh"]) for s in subs) == [
        ("room/#", 0, 0, 1, 2), ("room/+/temp", 1, 1, 0, 0)]
    assert all(s["clientid"] == "sub-a" for s in subs)

    def topics(query):
        body = authed.json("/api/v5/subscriptions" + query)
        return sorted((s["clientid"], s["topic"]) for s in body["data"])

    assert len(topics("")) == 3
    assert topics("?clientid=sub-z") == [("sub-z", "room/+/temp")]
    assert topics("?topic=room/%23") == [("sub-a", "room/#")]
    assert topics("?qos=2") == [("sub-z", "room/+/temp")]
    assert topics("?match_topic=room/1/temp") == [
        ("sub-a", "room/#"), ("sub-a", "room/+/temp"), ("sub-z", "room/+/temp")]
    assert topics("?match_topic=room") == [("sub-a", "room/#")]
    assert authed.json("/api/v5/subscriptions?limit=1")["meta"]["hasnext"] is True
    authed.get("/api/v5/subscriptions?qos=3", expect=400)

    routes = authed.json("/api/v5/topics")
    assert sorted(t["topic"] for t in routes["data"]) == ["room/#", "room/+/temp"]
    assert routes["meta"]["count"] == 2
    one = authed.json("/api/v5/topics?topic=room/%23")["data"]
    assert [t["topic"] for t in one] == ["room/#"]


def test_retained_list_get_delete(authed):
    b = authed.api.broker
    topic = unique_topic("keep") + "/a b"
    mosquitto_pub(b, topic, "kept value", qos=1, retain=True)
    mosquitto_pub(b, "other/x", "2", retain=True)
    listed = wait_value(lambda: authed.json("/api/v5/mqtt/retainer/messages"),
                        lambda r: r["meta"]["count"] >= 2, what="two retained")
    assert not any(m["topic"].startswith("$") for m in listed["data"])
    mine = [m for m in listed["data"] if m["topic"] == topic]
    assert len(mine) == 1 and mine[0]["qos"] == 1 and mine[0]["payload_size"] == 10
    assert mine[0]["from_clientid"] and mine[0]["publish_at"].endswith("Z")
    one = authed.json("/api/v5/mqtt/retainer/message/" + quote_topic(topic))
    assert one["topic"] == topic and one["payload"] == "a2VwdCB2YWx1ZQ=="
    assert authed.json("/api/v5/mqtt/retainer/message/other/x")["topic"] == "other/x"
    only = authed.json("/api/v5/mqtt/retainer/messages?topic=other/%2B")["data"]
    assert [m["topic"] for m in only] == ["other/x"]
    sys = wait_value(lambda: authed.json("/api/v5/mqtt/retainer/messages?topic=$SYS/%23"),
                     lambda r: r["meta"]["count"] > 0, what="$SYS retained")
    assert all(m["topic"].startswith("$SYS/") for m in sys["data"])
    authed.get("/api/v5/mqtt/retainer/messages?topic=a/%23/b", expect=400)

    authed.send("DELETE", "/api/v5/mqtt/retainer/message/" + quote_topic(topic), 204)
    r = authed.get("/api/v5/mqtt/retainer/message/" + quote_topic(topic), expect=404)
    assert r.json()["code"] == "NOT_FOUND"
    authed.send("DELETE", "/api/v5/mqtt/retainer/message/" + quote_topic(topic), 404)
    # A new subscriber gets the other retained message, not the deleted one.
    out = subprocess.run(["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t", topic,
                          "-t", "other/x", "-v", "-W", "2"], capture_output=True, text=True,
                         timeout=15)
    assert out.stdout.splitlines() == ["other/x 2"], out.stdout


def test_publish_reaches_mosquitto_sub(authed):
    b = authed.api.broker
    topic = unique_topic("api")
    sub = MosquittoSub(b, topic + "/#", qos=2)
    try:
        sub.wait_subscribed()
        r = authed.send("POST", "/api/v5/publish", 200,
                        json={"topic": topic + "/plain", "payload": "hello", "qos": 1})
        assert len(r.json()["id"]) == 32 and r.json()["delivered"] == 1
        authed.send("POST", "/api/v5/publish", 200,
                    json={"topic": topic + "/b64", "payload": "AAEC", "encoding": "base64"})
        bulk = authed.send("POST", "/api/v5/publish/bulk", 200, json=[
            {"topic": topic + "/bulk1", "payload": "one", "qos": 2},
            {"topic": topic + "/bulk2", "payload": "two"}]).json()
        assert len(bulk) == 2 and bulk[0]["id"] != bulk[1]["id"]
        got = sub.wait_for(4)
        assert f"1 0 {topic}/plain hello" in got
        assert f"2 0 {topic}/bulk1 one" in got and f"0 0 {topic}/bulk2 two" in got
        assert any(line.startswith(f"0 0 {topic}/b64 ") for line in got)
    finally:
        sub.stop()
    for bad in ("a/+", "", "a/#"):
        r = authed.send("POST", "/api/v5/publish", 400, json={"topic": bad, "payload": "x"})
        assert r.json()["code"] == "BAD_TOPIC", bad
    authed.send("POST", "/api/v5/publish", 400, json={"topic": "t", "qos": 3})
    authed.send("POST", "/api/v5/publish", 400,
                json={"topic": "t", "payload": "!!", "encoding": "base64"})


def test_publish_retained_via_api(authed):
    b = authed.api.broker
    topic = unique_topic("apiretain")
    authed.send("POST", "/api/v5/publish", 200,
                json={"topic": topic, "payload": "stays", "retain": True})
    out = subprocess.run(["mosquitto_sub", "-h", HOST, "-p", str(b.port), "-t", topic,
                          "-C", "1", "-W", "5"], capture_output=True, text=True, timeout=15)
    assert out.stdout.strip() == "stays"
    one = authed.json("/api/v5/mqtt/retainer/message/" + quote_topic(topic))
    assert one["from_clientid"] is None


def test_listeners(authed, clients):
    b = authed.api.broker
    clients(b).ok()
    listeners = authed.json("/api/v5/listeners")
    assert listeners == [{"id": "tcp:default", "type": "tcp", "bind": f"127.0.0.1:{b.port}",
                          "running": True, "current_connections": 1,
                          "max_connections": "infinity"}]


# ------------------------------------------------------------------ MQTT users

USERS = "/api/v5/authentication/password_based:built_in_database/users"


def mqtt_login(b, user, password):
    r = mosquitto_pub(b, "login/check", "x", extra=["-u", user, "-P", password], check=False)
    return r.returncode == 0


def test_users_added_can_connect_and_deleted_cannot(api):
    """Users added through the API connect with mosquitto_pub -u/-P; changed and deleted
    ones cannot, and a connected client whose user is deleted is disconnected."""
    a = api(extra=["allow_anonymous false"])
    authed = Authed(a, a.first_login())
    b = a.broker
    assert mqtt_login(b, "alice", "alice-pw")
    assert not mqtt_login(b, "bob", "bob-pw")
    assert authed.send("POST", USERS, 201,
                       json={"user_id": "bob", "password": "bob-pw"}).json()["user_id"] == "bob"
    assert mqtt_login(b, "bob", "bob-pw")
    authed.send("POST", USERS, 409, json={"user_id": "bob", "password": "x"})
    authed.send("POST", USERS, 400, json={"user_id": "bad:name", "password": "x"})
    listed = authed.json(USERS)
    assert [u["user_id"] for u in listed["data"]] == ["alice", "bob"]
    assert [u["user_id"] for u in authed.json(USERS + "?like_user_id=bo")["data"]] == ["bob"]
    # The file is Mosquitto's format: mosquitto_passwd's file, one user:hash line each.
    lines = (b.workdir.parent / "passwd").read_text().splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["alice", "bob"]
    assert lines[1].split(":", 1)[1].startswith("$7$")

    authed.send("PUT", USERS + "/bob", 200, json={"password": "new-bob"})
    assert not mqtt_login(b, "bob", "bob-pw") and mqtt_login(b, "bob", "new-bob")
    authed.send("PUT", USERS + "/carol", 404, json={"password": "x"})

    online = Client(b, username="bob", password="new-bob")
    try:
        online.ok()
        authed.send("DELETE", USERS + "/bob", 204)
        reason, _ = online.wait_disconnected()
        assert reason.value in (0x86, 0x87), "connected clients are checked again on reload"
    finally:
        online.close()
    assert not mqtt_login(b, "bob", "new-bob")
    assert mqtt_login(b, "alice", "alice-pw")
    r = authed.send("DELETE", USERS + "/bob", 404)
    assert r.json()["code"] == "NOT_FOUND"


def test_users_without_a_password_file(broker, tmp_path):
    b = broker(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                     "dashboard_listener {port2} 127.0.0.1",
                     f"dashboard_auth_file {tmp_path / 'd.json'}"])
    a = Api(b)
    authed = Authed(a, a.first_login())
    r = authed.get(USERS, expect=400)
    assert r.json()["code"] == "NO_PASSWORD_FILE"


# ------------------------------------------------------------------ metrics, alarms, logs

def test_prometheus_output_parses_and_counters_move(authed):
    b = authed.api.broker

    def scrape(path="/api/v5/prometheus/stats"):
        r = authed.get(path)
        assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
        return parse_prometheus(r.text)

    samples, types = scrape()
    assert types["roost_messages_received_total"] == "counter"
    assert types["roost_connections"] == "gauge"
    for family in ("roost_sessions", "roost_subscriptions", "roost_retained_messages",
                   "roost_bytes_received_total", "roost_messages_dropped_total",
                   "roost_auth_failures_total", "roost_inflight_messages",
                   "roost_queued_messages", "process_cpu_seconds_total",
                   "process_resident_memory_bytes"):
        assert family in types, family
    q1 = ("roost_messages_received_total", '{qos="1"}')
    before = samples[q1]
    mosquitto_pub(b, "prom/x", "1", qos=1, retain=True)
    after, _ = wait_value(lambda: scrape("/metrics"), lambda s: s[0][q1] == before + 1,
                          what="the QoS 1 counter")
    assert after[("roost_retained_messages", "")] >= 1
    q1_bytes = ("roost_payload_bytes_received_total", '{qos="1"}')
    assert after[q1_bytes] == samples[q1_bytes] + 1
    assert after[("roost_connections_total", "")] >= 1
    m = authed.json("/api/v5/metrics?aggregate=true")
    assert m["messages.qos1.received"] == after[q1], "the API and Prometheus read one counter"


def test_alarms_and_recent_warnings(api, clients):
    a = api(extra=["max_connections 1"])
    authed = Authed(a, a.first_login())
    assert authed.json("/api/v5/alarms")["data"] == []
    c = clients(a.broker)
    c.ok()
    alarms = authed.json("/api/v5/alarms")["data"]
    assert [al["name"] for al in alarms] == ["listener_max_connections"]
    assert alarms[0]["activated"] is True and alarms[0]["details"] == {
        "listeners": ["tcp:default"]}
    assert authed.json("/api/v5/alarms?activated=false")["data"] == []
    c.disconnect()
    wait_value(lambda: authed.json("/api/v5/alarms")["data"], lambda d: d == [],
               what="the alarm to clear")

    assert a.login("admin", "not-it").status_code == 401
    logs = authed.json("/api/v5/logs/recent?limit=5")
    assert logs and logs[0]["level"] == "WARN"
    assert "Dashboard login as 'admin'" in logs[0]["message"]
    assert logs[0]["time"].endswith("Z")


def test_api_docs_describe_every_route(authed):
    doc = authed.json("/api-docs")
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v5/clients/{clientid}", "/api/v5/mqtt/retainer/message/{topic}",
                 "/api/v5/publish/bulk", "/metrics", "/api/v5/login", USERS):
        assert path in doc["paths"], path
    assert doc["paths"]["/api/v5/clients/{clientid}"]["delete"]["parameters"][0]["name"] \
        == "clientid"


def test_pages_are_served(api):
    a = api()
    r = a.call("GET", "/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()
    r = a.call("GET", "/no-such-page.html")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"


# ------------------------------------------------------------------ where it listens

def test_a_file_without_dashboard_listener_has_no_dashboard(broker):
    b = broker()
    assert "Dashboard" not in b.log_text()


def test_a_configured_dashboard_that_cannot_bind_is_fatal(broker_exits, tmp_path):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        r, _ = broker_exits(conf=["listener {port} 127.0.0.1", "allow_anonymous true",
                                  f"dashboard_listener {port} 127.0.0.1",
                                  f"dashboard_auth_file {tmp_path / 'd.json'}"])
    assert r.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port} for the dashboard" in r.stdout + r.stderr


def test_no_configuration_file_serves_the_dashboard_on_18083(tmp_path):
    """Without a file: 127.0.0.1:18083, said in the start-up lines with the login; when the
    port is taken, one warning and MQTT goes on."""
    try:
        probe = socket.create_server((HOST, 18083))
    except OSError:
        pytest.skip("127.0.0.1:18083 is in use on this machine")
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    mqtt_port = free_port()

    started = []

    def run():
        log = open(tmp_path / "log", "w")
        proc = subprocess.Popen([ROOST_BIN, "broker", "-p", str(mqtt_port)], env=env,
                                stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        log.close()
        started.append(proc)
        wait_until(lambda: re.search(r"roost version \S+ running", (tmp_path / "log").read_text()),
                   10, message="start")
        return proc, (tmp_path / "log").read_text()

    def stop(proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0

    try:
        try:
            proc, text = run()
            assert "Dashboard not started" in text and "18083" in text
            r = subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(mqtt_port), "-t", "t",
                                "-m", "x"], timeout=10)
            assert r.returncode == 0
            stop(proc)
        finally:
            probe.close()
        proc, text = run()
        assert "Dashboard and HTTP API on http://127.0.0.1:18083/" in text
        assert "as 'admin' with password 'public'" in text
        assert str(tmp_path / "data" / "roost" / "dashboard.json") in text
        a = Api(type("B", (), {"ports": [mqtt_port, 18083]})())
        assert a.call("GET", "/status").status_code == 200
        assert a.login().json()["must_change_password"] is True
        stop(proc)
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)


def test_regression_a_body_nobody_reads_keeps_the_connection_open(authed):
    """A POST whose handler ignores its body (logout), or one refused before its body is read
    (no token), must not make the server close a keep-alive connection the client reuses."""
    import http.client
    conn = http.client.HTTPConnection(HOST, authed.api.broker.ports[1], timeout=10)
    try:
        body = json.dumps({"username": "admin", "padding": "x" * 10000})
        for method in ("GET", "DELETE", "PUT", "POST"):
            for headers in ({}, {"Authorization": "Bearer " + authed.token}):
                conn.request(method, "/api/v5/api_key/x", body="{}", headers=headers)
                r = conn.getresponse()
                r.read()
                assert r.status in (401, 404, 405, 400), (method, r.status)
        conn.request("GET", "/api/v5/nodes", headers={"Authorization": "Bearer " + authed.token})
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())[0]["node_status"] == "running"
        conn.request("POST", "/api/v5/logout", body=body,
                     headers={"Authorization": "Bearer " + authed.token})
        r = conn.getresponse()
        r.read()
        assert r.status == 204
        conn.request("GET", "/status")
        assert conn.getresponse().status == 200
    finally:
        conn.close()
    r = authed.api.call("POST", "/api/v5/publish", authed.api.login("admin", NEW_PASSWORD)
                        .json()["token"], data="x" * (2 << 20))
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
