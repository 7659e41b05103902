// A WebPubSubClient (default protocol) sends user events that an @azure/web-pubsub-express
// handler (upstream_express.mjs) answers; the answers arrive as `server-message`s.
// Args: {"url": client access URL}. Reports "answers" with what arrived after each event.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { args, fail, report, stopAndGetCloseCode, until } from "./common.mjs";

// A failed event is reported, not retried: the test checks the hub's ack error.
const client = new WebPubSubClient(args.url, { messageRetryOptions: { maxRetries: 0 } });
const got = [];
client.on("server-message", (e) => {
  const data = e.message.data instanceof ArrayBuffer ? Array.from(new Uint8Array(e.message.data)) : e.message.data;
  got.push({ dataType: e.message.dataType, data });
});
await client.start();
// The hub acks an event after the handler answered, so each answer is in by the time sendEvent
// resolves: the counts below need no waiting.
const counts = {};
await client.sendEvent("echo", "hi", "text");
counts.echo = got.length;
await client.sendEvent("json", { n: 1 }, "json");
counts.json = got.length;
await client.sendEvent("bin", new Uint8Array([9]).buffer, "binary");
counts.bin = got.length;
await client.sendEvent("quiet", "x", "text");
counts.quiet = got.length;
let error = null;
try {
  await client.sendEvent("nope", "x", "text");
  fail("the event the handler fails was acked as a success");
} catch (e) {
  error = e.errorDetail ?? { message: String(e) };
}
counts.nope = got.length;
await until("the answers", () => got.length >= 3);
report("answers", { got, counts, error });
report("stopped", { closeCode: await stopAndGetCloseCode(client) });
process.exit(0);
