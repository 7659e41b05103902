// Two WebPubSubClients on the default protocol (json.reliable.webpubsub.azure.v1) join a group
// and exchange messages both ways, then stop. Args: {"urls": [a, b]}.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { args, fail, negotiated, report, stopAndGetCloseCode, until } from "./common.mjs";

const [a, b] = args.urls.map((url) => new WebPubSubClient(url));
const got = { a: [], b: [] };
a.on("group-message", (e) => got.a.push(e.message.data));
b.on("group-message", (e) => got.b.push(e.message.data));
await a.start();
await b.start();
report("started", { protocol: negotiated(a), protocols: [negotiated(a), negotiated(b)] });
await a.joinGroup("lobby");
await b.joinGroup("lobby");
await a.sendToGroup("lobby", "hello from a", "text", { noEcho: true });
await b.sendToGroup("lobby", { from: "b", n: 1 }, "json", { noEcho: true });
const bin = new Uint8Array([1, 2, 3]).buffer;
await b.sendToGroup("lobby", bin, "binary", { noEcho: true });
await until("a to get 2 messages", () => got.a.length >= 2);
await until("b to get 1 message", () => got.b.length >= 1);
const aBinary = got.a.find((d) => d instanceof ArrayBuffer);
if (got.b[0] !== "hello from a") fail(`b got ${JSON.stringify(got.b)}`);
if (!got.a.some((d) => d?.from === "b")) fail(`a got ${JSON.stringify(got.a)}`);
if (!aBinary || Array.from(new Uint8Array(aBinary)).join(",") !== "1,2,3") fail("binary payload changed");
report("exchanged", { a: got.a.length, b: got.b.length });
const codes = [await stopAndGetCloseCode(a), await stopAndGetCloseCode(b)];
report("stopped", { closeCodes: codes });
// The SDK may leave timers behind after stop(); the result is reported, so end here.
process.exit(0);
