// Recovery with no lost message: client A (through a TCP proxy the Rust test cuts) and client B
// (direct) on the default protocol join a group; after READY the test cuts A's connection and
// says "cut"; B then sends numbered messages while A recovers. A must get every one, in order,
// once, on the same connection id, after a close its SDK really saw.
// Args: {"a": url, "b": url, "count": n}.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { args, fail, nextLine, report, sdkLog, stopAndGetCloseCode, until } from "./common.mjs";

const a = new WebPubSubClient(args.a);
const b = new WebPubSubClient(args.b);
const got = [];
const connected = [];
let disconnects = 0;
a.on("group-message", (e) => got.push(e.message.data));
a.on("connected", (e) => connected.push(e.connectionId));
a.on("disconnected", () => disconnects++);
await a.start();
await b.start();
await a.joinGroup("lobby");
await b.joinGroup("lobby");
report("ready", { connectionId: connected[0] });
if ((await nextLine()) !== "cut") fail("expected the cut command");
for (let n = 1; n <= args.count; n++) {
  await b.sendToGroup("lobby", { n }, "json", { noEcho: true });
}
await until(`A to get ${args.count} messages`, () => got.length >= args.count, 30000);
const numbers = got.map((d) => d.n);
const expected = Array.from({ length: args.count }, (_, i) => i + 1);
if (JSON.stringify(numbers) !== JSON.stringify(expected)) fail(`A got ${JSON.stringify(numbers)}`);
const sawClose = sdkLog.some((l) => l.includes("WebSocket connection closed"));
if (!sawClose) fail("A's SDK never saw its connection close: the cut did not happen");
if (disconnects > 0 || connected.length !== 1) fail(`recovery failed: connected ${connected}, disconnects ${disconnects}`);
report("recovered", { received: numbers.length, connectionId: connected[0] });
// Still in the group after recovery, both ways.
await a.sendToGroup("lobby", "after", "text", { noEcho: true });
report("stopped", { closeCodes: [await stopAndGetCloseCode(a), await stopAndGetCloseCode(b)] });
process.exit(0);
