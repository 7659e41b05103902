"""Two azure-messaging-webpubsubclient clients on the default protocol join a group and exchange
messages, then close. Argument: {"urls": [a, b]} as JSON. Prints one JSON line per step."""
import json
import sys
import threading

from azure.messaging.webpubsubclient import WebPubSubClient
from azure.messaging.webpubsubclient.models import CallbackType, WebPubSubDataType

args = json.loads(sys.argv[1])
# ack_timeout: azure-messaging-webpubsubclient 1.1.0 sends, then starts waiting on the ack's
# condition variable; an ack that arrives in between (the local hub answers within microseconds)
# is a lost wake-up, and the SDK sits out its 30 s default before finding the ack already there.
# 2 s keeps such a stall short; an ack that never comes still fails the send.
a, b = (WebPubSubClient(url, ack_timeout=2.0) for url in args["urls"])
got = {"a": [], "b": []}
arrived = {"a": threading.Event(), "b": threading.Event()}


def on_group(name):
    def handler(e):
        got[name].append(e.data)
        arrived[name].set()

    return handler


a.subscribe(CallbackType.GROUP_MESSAGE, on_group("a"))
b.subscribe(CallbackType.GROUP_MESSAGE, on_group("b"))
with a, b:
    a.join_group("lobby")
    b.join_group("lobby")
    a.send_to_group("lobby", "hello from python a", WebPubSubDataType.TEXT, no_echo=True)
    b.send_to_group("lobby", {"from": "b"}, WebPubSubDataType.JSON, no_echo=True)
    if not (arrived["a"].wait(10) and arrived["b"].wait(10)):
        print(f"FAIL: messages did not arrive: {got}", file=sys.stderr)
        sys.exit(1)
    protocol = a._protocol.name if hasattr(a, "_protocol") else None
    print(json.dumps({"event": "exchanged", "a": got["a"], "b": got["b"], "protocol": protocol}), flush=True)
print(json.dumps({"event": "stopped"}), flush=True)
