"""The basic flows with the real mosquitto_pub / mosquitto_sub (-V mqttv311 and mqttv5)."""

import signal
import subprocess
import time

import pytest

from harness import CLI_VERSIONS, HOST, mosquitto_pub, unique_topic


@pytest.mark.parametrize("version", CLI_VERSIONS)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_cli_pub_to_cli_sub(broker, mosq_sub, version, qos):
    b = broker()
    topic = unique_topic("cli")
    sub = mosq_sub(b, topic, version=version, qos=qos).wait_subscribed()
    mosquitto_pub(b, topic, "hello from mosquitto_pub", version=version, qos=qos)
    (line,) = sub.wait_for(1)
    assert line == f"{qos} 0 {topic} hello from mosquitto_pub"


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_sub_count_and_exit(broker, version):
    # `mosquitto_sub -C 3` exits 0 after three messages; here published by mosquitto_pub -l.
    b = broker()
    topic = unique_topic("cli")
    sub = subprocess.Popen(
        ["stdbuf", "-oL", "mosquitto_sub", "-h", HOST, "-p", str(b.port), "-V", version, "-t", topic,
         "-q", "1", "-C", "3", "-W", "20", "-d"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        for line in sub.stdout:
            lines.append(line)
            if "received SUBACK" in line:
                break
        subprocess.run(["mosquitto_pub", "-h", HOST, "-p", str(b.port), "-V", version,
                        "-t", topic, "-q", "1", "-l"], input="one\ntwo\nthree\n",
                       text=True, check=True, timeout=15)
        out, _ = sub.communicate(timeout=20)
    finally:
        if sub.poll() is None:
            sub.kill()
            sub.wait()
    assert sub.returncode == 0
    payload_lines = [ln for ln in out.splitlines() if not ln.startswith(("Client ", "Subscribed "))]
    assert payload_lines == ["one", "two", "three"]


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_retained_message_delivered_to_later_subscriber(broker, mosq_sub, version):
    b = broker()
    topic = unique_topic("cli")
    mosquitto_pub(b, topic, "kept", version=version, qos=1, retain=True)
    sub = mosq_sub(b, topic, version=version, qos=1)
    (line,) = sub.wait_for(1)
    assert line == f"1 1 {topic} kept"  # retain flag 1 on subscribe (MQTT-3.3.1-8)
    # Clearing it with an empty retained message (mosquitto_pub -r -n).
    mosquitto_pub(b, topic, "", version=version, qos=1, retain=True)
    sub2 = mosq_sub(b, topic, version=version, qos=1).wait_subscribed()
    assert sub.wait_for(2)[1] == f"1 0 {topic} "  # live copy: retain 0 (MQTT-3.3.1-9)
    time.sleep(0.5)
    assert sub2.messages() == []


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_wildcard_subscription(broker, mosq_sub, version):
    b = broker()
    base = unique_topic("cli")
    sub = mosq_sub(b, [f"{base}/+/temp", f"{base}/alerts/#"], version=version).wait_subscribed()
    for t in [f"{base}/kitchen/temp", f"{base}/kitchen/humidity", f"{base}/alerts",
              f"{base}/alerts/fire/now"]:
        mosquitto_pub(b, t, "v", version=version)
    got = sub.wait_for(3)
    time.sleep(0.3)
    topics = sorted(line.split(" ")[2] for line in sub.messages())
    assert topics == sorted([f"{base}/kitchen/temp", f"{base}/alerts", f"{base}/alerts/fire/now"])
    assert len(got) == 3


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_will_published_when_subscriber_killed(broker, mosq_sub, version):
    b = broker()
    topic = unique_topic("cli")
    watcher = mosq_sub(b, f"{topic}/will", version=version).wait_subscribed()
    victim = mosq_sub(b, f"{topic}/x", version=version,
                      extra=["--will-topic", f"{topic}/will", "--will-payload", "gone"])
    victim.wait_subscribed()
    victim.proc.send_signal(signal.SIGKILL)
    (line,) = watcher.wait_for(1)
    assert line == f"0 0 {topic}/will gone"


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_interop_with_paho(broker, mosq_sub, connected, version):
    b = broker()
    topic = unique_topic("cli")
    paho = connected(b, version=5 if version == "mqttv5" else 4)
    paho.subscribe(f"{topic}/to-paho", qos=1)
    sub = mosq_sub(b, f"{topic}/to-cli", version=version, qos=1).wait_subscribed()
    mosquitto_pub(b, f"{topic}/to-paho", "from cli", version=version, qos=1)
    paho.publish(f"{topic}/to-cli", b"from paho", qos=1)
    assert paho.wait_for(1)[0].payload == b"from cli"
    assert sub.wait_for(1) == [f"1 0 {topic}/to-cli from paho"]


def test_cli_v5_properties_pass_through(broker, mosq_sub):
    b = broker()
    topic = unique_topic("cli")
    sub = mosq_sub(b, topic, version="mqttv5", qos=1, fmt="%t %p|%C|%R|%D|%P").wait_subscribed()
    mosquitto_pub(b, topic, "props", version="mqttv5", qos=1, extra=[
        "-D", "publish", "content-type", "text/plain",
        "-D", "publish", "response-topic", "reply/here",
        "-D", "publish", "correlation-data", "corr-1",
        "-D", "publish", "user-property", "k1", "v1"])
    (line,) = sub.wait_for(1)
    assert line == f"{topic} props|text/plain|reply/here|corr-1|k1:v1"


@pytest.mark.parametrize("version", CLI_VERSIONS)
def test_cli_large_message(broker, mosq_sub, tmp_path, version):
    b = broker()
    topic = unique_topic("cli")
    big = tmp_path / "big.bin"
    big.write_bytes(b"z" * 200_000)
    sub = mosq_sub(b, topic, version=version, qos=1, fmt="%l").wait_subscribed()
    mosquitto_pub(b, topic, None, version=version, qos=1, extra=["-f", str(big)])
    # %l prints the payload length.
    assert sub.wait_for(1) == ["200000"]
