"""The harness's paho client over WebSocket (paho's transport="websockets"), optionally with
TLS (wss), on a given port and URL path."""

import paho.mqtt.client as mqtt

from harness import V5, Client


class WsClient(Client):
    """`harness.Client` speaking MQTT over WebSocket to `port` at `path`; `tls` is a dict
    of `tls_set` arguments for wss."""

    def __init__(self, broker, port, path="/mqtt", tls=None, version=V5, clean=True,
                 manual_ack=False, will=None, username=None, password=None, **kw):
        super().__init__(broker, version=version, clean=clean, manual_ack=manual_ack,
                         will=will, username=username, password=password, port=port, **kw)
        tcp = self.c
        protocol = mqtt.MQTTv5 if version == V5 else mqtt.MQTTv311
        extra = {} if version == V5 else {"clean_session": clean}
        self.c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=protocol, reconnect_on_failure=False,
                             manual_ack=manual_ack, transport="websockets", **extra)
        self.c.ws_set_options(path=path)
        if tls is not None:
            self.c.tls_set(**tls)
        if will is not None:
            self.c.will_set(**will)
        if username is not None:
            self.c.username_pw_set(username, password)
        for name in ("on_connect", "on_message", "on_disconnect", "on_subscribe",
                     "on_unsubscribe", "on_publish"):
            setattr(self.c, name, getattr(tcp, name))
