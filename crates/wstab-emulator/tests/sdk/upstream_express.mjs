// An application's event handler written with @azure/web-pubsub-express, for the hub's
// upstream tests. Listens on 127.0.0.1:0 and prints "port <n>" once ready.
// - connect: refuses user "mallory" (401); names user "upstream-<sub>" and joins "from-upstream".
// - user event "echo" (and invoke "echo"): answers "upstream says: <data>" as text; "json"
//   answers {"got": <data>} as JSON; "bin" answers the bytes 1,2,3; "quiet" answers nothing;
//   "message" (what a simple client sends) answers "upstream says: <data>" as text; any other
//   event fails with 400.
// - connected/disconnected: printed as "event connected <connectionId>".
import express from "express";
import { WebPubSubEventHandler } from "@azure/web-pubsub-express";

const hub = process.argv[2] ?? "chat";
const handler = new WebPubSubEventHandler(hub, {
  path: "/eventhandler",
  handleConnect(req, res) {
    const sub = req.claims?.sub?.[0];
    if (sub === "mallory") {
      res.fail(401, "mallory may not connect");
      return;
    }
    res.success({ userId: `upstream-${sub ?? "anonymous"}`, groups: ["from-upstream"] });
  },
  onConnected(req) {
    console.log(`event connected ${req.context.connectionId} ${req.context.userId ?? ""}`);
  },
  onDisconnected(req) {
    console.log(`event disconnected ${req.context.connectionId}`);
  },
  handleUserEvent(req, res) {
    const name = req.context.eventName;
    if (name === "echo" || name === "message") {
      res.success(`upstream says: ${req.data}`, "text");
    } else if (name === "json") {
      res.success(JSON.stringify({ got: req.data }), "json");
    } else if (name === "bin") {
      res.success(Buffer.from([1, 2, 3]), "binary");
    } else if (name === "quiet") {
      res.success();
    } else {
      res.fail(400, `unknown event ${req.context.eventName}`);
    }
  },
});

const app = express();
app.use(handler.getMiddleware());
const server = app.listen(0, "127.0.0.1", () => {
  console.log(`port ${server.address().port}`);
});
