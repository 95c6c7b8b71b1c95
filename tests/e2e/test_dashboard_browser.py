"""The dashboard in a real browser: headless Debian Chromium (/usr/bin/chromium) driven by
Playwright against the real `roost broker`, started with an MQTT listener, an MQTT-over-WebSocket
listener and a dashboard listener on free ports. The other side of every flow is a client nobody
here wrote (mosquitto_sub, mosquitto_pub, a raw CONNECT).

Every page visited is saved as a PNG under tests/browser/artifacts/<test>/ (gitignored) so a
person can look at them; a failing test also saves the page it failed on. Uncaught page errors
and console errors other than the browser's own "Failed to load resource" lines for HTTP errors
the test provoked fail the test.
"""

import re
import urllib.request
from pathlib import Path

import pytest

from harness import (HOST, IS_MOSQUITTO, MosquittoSub, Traffic, connack_code, mosquitto_passwd,
                     mosquitto_pub, unique_id, unique_topic, wait_until)

playwright_sync = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.roost_only, pytest.mark.timeout(180)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "browser" / "artifacts"
NEW_PASSWORD = "Dashb0ard-pass"
UI_TIMEOUT_MS = 15000


@pytest.fixture(scope="module")
def chromium():
    if IS_MOSQUITTO:
        pytest.skip("the dashboard is Roost's")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./scripts/test does)")
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_dashboard(broker, chromium, tmp_path, request):
    """Factory: a broker with TCP, WebSocket and dashboard listeners (and a password file with
    user alice unless `password_file=False`), and a fresh browser page on its dashboard."""
    opened = []

    def open_(password_file=True):
        conf = ["listener {port} 127.0.0.1", "allow_anonymous true"]
        if password_file:
            passwd = tmp_path / "passwd"
            mosquitto_passwd(passwd, "alice", "alice-pw", create=True)
            conf.append(f"password_file {passwd}")
        conf += ["listener {port2} 127.0.0.1", "protocol websockets",
                 "dashboard_listener {port3} 127.0.0.1"]
        d = Dashboard(broker(conf=conf), chromium, request.node.name)
        opened.append(d)
        return d

    yield open_
    rep = getattr(request.node, "rep_call", None)
    for d in opened:
        if rep is not None and rep.failed:
            d.shot("FAILED")
            print("----- page errors -----\n" + "\n".join(d.errors))
        d.close()


@pytest.fixture
def dash(open_dashboard):
    return open_dashboard()


class Dashboard:
    """One browser context on the broker's dashboard, with helpers for the flows."""

    def __init__(self, b, chromium, test_name):
        self.broker = b
        self.base = f"http://{HOST}:{b.ports[2]}"
        self.ws_port = b.ports[1]
        self.dir = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
        self.dir.mkdir(parents=True, exist_ok=True)
        for old in self.dir.glob("*.png"):
            old.unlink()
        self.ctx = chromium.new_context(viewport={"width": 1440, "height": 900})
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(UI_TIMEOUT_MS)
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("console", self._console)
        self.shots = 0

    def _console(self, msg):
        if msg.type == "error" and "Failed to load resource" not in msg.text:
            self.errors.append(f"console.error: {msg.text}")

    def close(self):
        self.ctx.close()

    def shot(self, name):
        self.shots += 1
        path = self.dir / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    def assert_no_page_errors(self):
        assert not self.errors, "\n".join(self.errors)

    def goto(self, route):
        self.page.goto(f"{self.base}/#/{route}")

    def login(self, password="public"):
        self.page.goto(self.base + "/")
        self.page.wait_for_selector("#login-username")
        self.page.fill("#login-username", "admin")
        self.page.fill("#login-password", password)
        self.page.click("#login-submit")

    def login_and_change_password(self):
        self.login()
        self.page.wait_for_selector("#new-password")
        self.shot("change-password")
        self.page.fill("#new-password", NEW_PASSWORD)
        self.page.fill("#confirm-password", NEW_PASSWORD)
        self.page.click("#change-submit")
        self.page.wait_for_selector("#page-overview")

    def confirm_dialog(self):
        dialog = self.page.locator(".modal")
        dialog.wait_for()
        dialog.locator("button[type=submit]").click()
        dialog.wait_for(state="detached")

    def toast_text(self):
        return " | ".join(self.page.locator(".toast .msg").all_inner_texts())


def test_status_and_index_are_served(dash):
    with urllib.request.urlopen(dash.base + "/", timeout=10) as r:
        html = r.read().decode()
    assert "<title>Roost Dashboard</title>" in html
    with urllib.request.urlopen(dash.base + "/js/mqtt.js", timeout=10) as r:
        assert "MqttClient" in r.read().decode()


def test_login_change_password_overview_and_every_page(dash):
    page = dash.page
    dash.login(password="wrong-password")
    error = page.locator(".login-box .form-error")
    error.wait_for()
    assert "Wrong username or password" in error.inner_text()
    dash.shot("login-refused")

    dash.login_and_change_password()
    # Counters come from /api/v5/stats and /api/v5/metrics; the node card from /api/v5/nodes.
    page.wait_for_function("document.querySelector('#stat-connections').textContent.trim() !== '—'")
    page.wait_for_selector("text=roost@")
    # Two polls give the first message-rate point; then both charts have drawn lines.
    page.wait_for_function("document.querySelector('#rate-now').textContent.includes('/s')", timeout=20000)
    assert page.locator("#overview-updated").inner_text().startswith("Updated")
    assert page.locator(".chart canvas").count() == 2
    dash.shot("overview")

    for route, marker in [("clients", "#client-search"), ("subscriptions", "#subscriptions-card table, #subscriptions-card .empty"),
                          ("topics", "#topics-card .empty, #topics-card table"), ("retained", "#retained-card .empty, #retained-card table"),
                          ("listeners", "#page-listeners table.data"), ("users", "text=alice"), ("alarms", "#log-lines :is(.log-line, .empty)"),
                          ("websocket", "#ws-url")]:
        dash.goto(route)
        page.wait_for_selector(f"#page-{route}")
        page.wait_for_selector(marker)
        page.wait_for_selector(".loading", state="detached")
        dash.shot(route)

    # Listeners: the three listeners this broker runs, with their bind addresses.
    dash.goto("listeners")
    page.wait_for_selector("table.data")
    text = page.locator("table.data").inner_text()
    for port in dash.broker.ports[:2]:
        assert f"127.0.0.1:{port}" in text

    page.click("#logout")
    page.wait_for_selector("#login-username")
    dash.login(password="public")
    page.locator(".login-box .form-error").wait_for()
    dash.login(password=NEW_PASSWORD)
    page.wait_for_selector("#page-overview")
    dash.assert_no_page_errors()


def test_overview_charts_follow_live_traffic(dash, client):
    page = dash.page
    dash.login_and_change_password()
    traffic = Traffic(dash.broker, client, interval=0.01)
    try:
        traffic.wait_sent(20)
        # Two connections, and a message rate above zero once two samples are in.
        page.wait_for_function("document.querySelector('#stat-connections').textContent === '2'", timeout=20000)
        page.wait_for_function("/in [1-9]/.test(document.querySelector('#rate-now').textContent)", timeout=20000)
        page.wait_for_timeout(7000)  # a few more samples, so the chart has a line to look at
        received = int(page.inner_text("#stat-received").replace(",", ""))
        assert received >= 20
        dash.shot("overview-traffic")
    finally:
        traffic.check()
    dash.assert_no_page_errors()


def test_an_invalid_session_goes_back_to_login_with_the_reason(dash):
    page = dash.page
    dash.login_and_change_password()
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('roost.session'));
        s.token = 'garbled-token';
        sessionStorage.setItem('roost.session', JSON.stringify(s));
    }""")
    dash.goto("clients")
    error = page.locator(".login-box .form-error")
    error.wait_for()
    assert "logged out" in error.inner_text()
    dash.shot("session-lost")
    dash.assert_no_page_errors()


def test_clients_search_detail_and_kick(dash):
    page = dash.page
    cid = unique_id("dash-sub")
    topic = unique_topic("dash")
    # MQTT 5: the kick is a DISCONNECT 0x98, on which mosquitto_sub exits (a 3.1.1 client only
    # sees the socket close, and libmosquitto then reconnects).
    sub = MosquittoSub(dash.broker, topic, version="mqttv5", qos=1, extra=["-i", cid])
    try:
        sub.wait_subscribed()
        dash.login_and_change_password()
        dash.goto("clients")
        page.fill("#client-search-id", cid[:12])
        page.click("#client-search")
        row = page.locator("table.data tbody tr", has_text=cid)
        row.wait_for()
        assert "Connected" in row.inner_text()
        assert "127.0.0.1" in row.inner_text()
        dash.shot("clients-search")

        page.fill("#client-search-id", "no-such-client-" + cid)
        page.click("#client-search")
        page.wait_for_selector("text=No client matches the search.")

        dash.goto("clients/" + cid)
        page.wait_for_selector(f"text={topic}")
        assert page.locator("h1", has_text=cid).count() == 1
        dash.shot("client-detail")

        # Its subscription on the Subscriptions page (searched by client id) and on Topics.
        dash.goto("subscriptions")
        page.fill("#subscriptions-filter-clientid", cid)
        page.locator("#subscriptions-card button[type=submit]").click()
        sub_row = page.locator("#subscriptions-card tbody tr", has_text=topic)
        sub_row.wait_for()
        assert cid in sub_row.inner_text()
        dash.shot("subscriptions-search")
        dash.goto("topics")
        page.locator("#topics-card tbody tr", has_text=topic).locator("a").click()
        page.locator(".modal", has_text=cid).wait_for()
        dash.shot("topic-subscribers")
        # The client id in the dialog leads to its detail page, and the dialog goes away.
        page.locator(".modal a", has_text=cid).click()
        page.wait_for_selector(".modal", state="detached")
        page.wait_for_selector(f"#page-clients h1:has-text('{cid}')")

        page.click("button[data-action=kick]")
        dash.shot("kick-confirm")
        dash.confirm_dialog()
        page.wait_for_selector("#page-clients")
        wait_until(lambda: "kicked" in dash.toast_text(), 10, message="the kick toast")
        assert sub.proc.wait(15) == 0
        assert any("Received DISCONNECT (152)" in line for line in sub.lines), sub.lines
        dash.shot("after-kick")
    finally:
        sub.stop()
    dash.goto("clients/" + cid)
    page.wait_for_selector(".form-error")
    dash.assert_no_page_errors()


def test_websocket_page_publishes_and_receives(dash):
    page = dash.page
    topic = unique_topic("wsdash")
    sub = MosquittoSub(dash.broker, topic, qos=1)
    try:
        sub.wait_subscribed()
        dash.login_and_change_password()
        dash.goto("websocket")
        # The address comes from GET /api/v5/listeners: the ws listener on its port.
        page.wait_for_function(f"document.querySelector('#ws-url').value.includes(':{dash.ws_port}/')")
        assert page.input_value("#ws-url").startswith(f"ws://127.0.0.1:{dash.ws_port}/")
        page.click("#ws-connect")
        page.wait_for_selector("#ws-status .badge.ok")
        page.fill("#ws-sub-topic", topic)
        page.select_option("#ws-sub-qos", "1")
        page.click("#ws-subscribe")
        page.locator("#ws-subs .chip", has_text=topic).wait_for()

        page.fill("#ws-pub-topic", topic)
        page.fill("#ws-pub-payload", "hello from chromium")
        page.select_option("#ws-pub-qos", "1")
        page.click("#ws-publish")
        # Arrives back in the page (subscribed) and at mosquitto_sub.
        page.locator("#ws-messages .msg-item.in", has_text="hello from chromium").wait_for()
        assert sub.wait_for(1)[0] == f"1 0 {topic} hello from chromium"

        mosquitto_pub(dash.broker, topic, "from mosquitto_pub", qos=1)
        page.locator("#ws-messages .msg-item.in", has_text="from mosquitto_pub").wait_for()

        # The WebSocket client shows up on the Clients page like any other.
        dash.shot("websocket")
        client_id = page.input_value("#ws-clientid")
        dash.goto("clients")
        row = page.locator("table.data tbody tr", has_text=client_id)
        row.wait_for()
        assert "MQTT v3.1.1" in row.inner_text()
        # Kicked there, the page's connection ends and says how.
        row.locator("button[data-action=kick]").click()
        dash.confirm_dialog()
        dash.goto("websocket")
        page.wait_for_selector("#ws-status .badge.off")
        assert "closed by the server" in page.inner_text("#ws-error")
        assert page.input_value("#ws-pub-topic") == topic  # what was typed survives the visit
        dash.shot("websocket-kicked")
        # It connects again, and disconnects at the person's request without an error.
        page.click("#ws-connect")
        page.wait_for_selector("#ws-status .badge.ok")
        page.click("#ws-connect")
        page.wait_for_selector("#ws-status .badge.off")
        assert not page.is_visible("#ws-error")
    finally:
        sub.stop()
    dash.assert_no_page_errors()


def test_retained_message_view_and_delete(dash):
    page = dash.page
    topic = unique_topic("dashret")
    mosquitto_pub(dash.broker, topic, "retained-payload", qos=1, retain=True)
    dash.login_and_change_password()
    dash.goto("retained")
    row = page.locator("#retained-card tbody tr", has_text=topic)
    row.wait_for()
    row.locator("button[data-action=view]").click()
    page.wait_for_selector("#retained-payload")
    assert page.inner_text("#retained-payload") == "retained-payload"
    page.click("#payload-as-hex")
    assert "72 65 74 61 69 6e 65 64" in page.inner_text("#retained-payload")
    dash.shot("retained-view")
    page.keyboard.press("Escape")
    page.wait_for_selector(".modal", state="detached")

    # The topic filter: $SYS/# lists the broker's own retained figures, not ours.
    page.fill("#retained-filter-topic", "$SYS/#")
    page.locator("#retained-card button[type=submit]").click()
    page.locator("#retained-card tbody tr", has_text="$SYS/broker/").first.wait_for()
    assert row.count() == 0
    page.fill("#retained-filter-topic", topic.split("/")[0] + "/#")
    page.locator("#retained-card button[type=submit]").click()
    row.wait_for()

    row.locator("button[data-action=delete]").click()
    dash.confirm_dialog()
    row.wait_for(state="detached")
    dash.shot("retained-deleted")
    # A new subscriber no longer gets it.
    late = MosquittoSub(dash.broker, topic, extra=["-W", "2"])
    try:
        late.proc.wait(10)
        assert late.messages() == []
    finally:
        late.stop()
    dash.assert_no_page_errors()


def test_add_change_and_delete_an_mqtt_user(dash):
    page = dash.page
    dash.login_and_change_password()
    dash.goto("users")
    page.wait_for_selector("text=alice")
    page.click("button[data-action=add-user]")
    page.fill(".modal input[name=user_id]", "bob")
    page.fill(".modal input[name=password]", "bob-pw-1")
    page.fill(".modal input[name=again]", "bob-pw-2")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal .form-error:has-text('differ')")
    page.fill(".modal input[name=again]", "bob-pw-1")
    dash.shot("user-add")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    row = page.locator("#users-card tbody tr", has_text="bob")
    row.wait_for()
    dash.shot("user-added")
    assert wait_until(lambda: connack_code(dash.broker, "bob", "bob-pw-1") == 0, 10,
                      message="bob to log in over MQTT")

    row.locator("button[data-action=change-password]").click()
    page.fill(".modal input[name=password]", "bob-pw-new")
    page.fill(".modal input[name=again]", "bob-pw-new")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal", state="detached")
    assert wait_until(lambda: connack_code(dash.broker, "bob", "bob-pw-new") == 0, 10,
                      message="bob's new password to work")

    row.locator("button[data-action=delete]").click()
    dash.confirm_dialog()
    row.wait_for(state="detached")
    assert wait_until(lambda: connack_code(dash.broker, "bob", "bob-pw-new") != 0, 10,
                      message="bob to be refused")
    dash.assert_no_page_errors()


def test_users_page_explains_a_missing_password_file(open_dashboard):
    dash = open_dashboard(password_file=False)
    page = dash.page
    dash.login_and_change_password()
    dash.goto("users")
    note = page.locator("#users-no-file")
    note.wait_for()
    assert "password_file" in note.inner_text()
    assert page.locator("button[data-action=add-user]").is_disabled()
    dash.shot("users-no-password-file")
    dash.assert_no_page_errors()


def test_api_errors_are_shown_to_the_person(dash):
    page = dash.page
    dash.login_and_change_password()

    # 409 from the users API: shown in the dialog, which stays open.
    dash.goto("users")
    page.wait_for_selector("text=alice")
    page.click("button[data-action=add-user]")
    page.fill(".modal input[name=user_id]", "alice")
    page.fill(".modal input[name=password]", "other-pw")
    page.fill(".modal input[name=again]", "other-pw")
    page.click(".modal button[type=submit]")
    page.wait_for_selector(".modal .form-error:has-text('already exists')")
    dash.shot("user-exists")
    page.keyboard.press("Escape")

    # 404: the retained message went away after the list was drawn.
    topic = unique_topic("gone")
    mosquitto_pub(dash.broker, topic, "soon gone", retain=True)
    dash.goto("retained")
    row = page.locator("#retained-card tbody tr", has_text=topic)
    row.wait_for()
    mosquitto_pub(dash.broker, topic, None, retain=True, extra=["-n"])
    row.locator("button[data-action=view]").click()
    page.wait_for_selector(".toast.error:has-text('404')")
    dash.shot("retained-404")

    # Network error: the broker stops while the overview polls.
    dash.goto("overview")
    page.wait_for_function("document.querySelector('#overview-updated').textContent.startsWith('Updated')")
    dash.broker.stop()
    page.wait_for_selector("#overview-updated:has-text('Update failed')", timeout=20000)
    page.wait_for_selector(".toast.error:has-text('Cannot reach')")
    page.wait_for_selector("#node-pill:has-text('unreachable')", timeout=20000)
    dash.shot("broker-gone")
    dash.assert_no_page_errors()
