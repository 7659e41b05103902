// Shared by the SDK scripts: arguments, result lines, waiting with deadlines, and the SDK's own
// log captured (so a test can tell a quiet connection from one that dropped and recovered).
import { AzureLogger, setLogLevel } from "@azure/logger";

/** The JSON object the Rust test passed as the only argument. */
export const args = JSON.parse(process.argv[2] ?? "{}");

/** The SDK's log lines so far (info and above). */
export const sdkLog = [];
setLogLevel("info");
AzureLogger.log = (...parts) => sdkLog.push(parts.map(String).join(" "));

/** One line for the Rust side to parse. */
export function report(event, fields = {}) {
  console.log(JSON.stringify({ event, ...fields }));
}

/** Fails the script: the Rust test prints stdout and stderr. */
export function fail(message) {
  console.error(`FAIL: ${message}`);
  console.error(`SDK log:\n${sdkLog.join("\n")}`);
  process.exit(1);
}

/** Resolves when `check()` is true, polling every 20 ms; fails after `ms`. */
export async function until(what, check, ms = 10000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next line on stdin (a command from the Rust test). */
export function nextLine() {
  return new Promise((resolve) => {
    let buf = "";
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        process.stdin.off("data", onData);
        process.stdin.pause();
        resolve(buf.slice(0, nl).trim());
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", onData);
    process.stdin.resume();
  });
}

/**
 * Stops `client` and returns the close code its WebSocket saw. The SDK exposes no close code
 * on `stopped`; `_lastCloseEvent` is where 1.0.x records it.
 */
export async function stopAndGetCloseCode(client) {
  const stopped = new Promise((r) => client.on("stopped", r));
  client.stop();
  await Promise.race([stopped, new Promise((_, rej) => setTimeout(() => rej(new Error("stop timed out")), 5000))]);
  return client._lastCloseEvent?.code ?? null;
}

/** The subprotocol the server chose, as the SDK's WebSocket saw it in the 101. */
export function negotiated(client) {
  return client._wsClient?._socket?.protocol ?? null;
}
