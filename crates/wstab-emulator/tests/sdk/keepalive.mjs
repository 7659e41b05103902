// A default-protocol client with a short keepalive stays idle for several keepalive timeouts:
// the hub's pongs keep it connected (no close, no recovery, the same connection).
// Args: {"url": u, "intervalMs": n, "timeoutMs": n, "idleMs": n}.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { args, fail, report, sdkLog, stopAndGetCloseCode } from "./common.mjs";

const client = new WebPubSubClient(args.url, {
  keepAliveIntervalInMs: args.intervalMs,
  keepAliveTimeoutInMs: args.timeoutMs,
});
const connections = [];
let disconnects = 0;
client.on("connected", (e) => connections.push(e.connectionId));
client.on("disconnected", () => disconnects++);
await client.start();
await new Promise((r) => setTimeout(r, args.idleMs));
const closes = sdkLog.filter((l) => l.includes("WebSocket connection closed") || l.includes("No messages received"));
if (closes.length > 0) fail(`the connection dropped while idle: ${closes.join(" | ")}`);
if (disconnects > 0 || connections.length !== 1) fail(`connections ${connections}, disconnects ${disconnects}`);
// Still usable after the idle time.
await client.joinGroup("idle");
report("idle", { idleMs: args.idleMs, connections: connections.length });
report("stopped", { closeCodes: [await stopAndGetCloseCode(client)] });
process.exit(0);
