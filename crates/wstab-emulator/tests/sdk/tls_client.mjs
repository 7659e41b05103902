// The official client SDK over wss:// (trusting the emulator's CA through NODE_EXTRA_CA_CERTS):
// joins a group, sends to it, receives its own message, stops. Arg: the client access URL.
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";

const url = process.argv[2];
const client = new WebPubSubClient(url, { protocol: WebPubSubJsonProtocol() });
const received = new Promise((resolve) => client.on("group-message", (e) => resolve(e.message.data)));
try {
  await client.start();
  await client.joinGroup("tls");
  await client.sendToGroup("tls", "over tls", "text");
  console.log(`received ${await received}`);
  // The close handshake is the protocol tests' business; this one is about TLS.
  client.stop();
  process.exit(0);
} catch (e) {
  console.error(`failed: ${e.message}`);
  process.exit(1);
}
