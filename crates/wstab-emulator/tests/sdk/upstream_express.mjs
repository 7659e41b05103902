// An application's event handler written with @azure/web-pubsub-express, for the hub's
// upstream tests. Listens on 127.0.0.1:0 and prints "port <n>" once ready.
// - connect: refuses user "mallory" (401); names user "upstream-<sub>" and joins "from-upstream".
// - user event "echo" (and invoke "echo"): answers "upstream says: <data>" as text.
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
    if (req.context.eventName === "echo") {
      res.success(`upstream says: ${req.data}`, "text");
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
