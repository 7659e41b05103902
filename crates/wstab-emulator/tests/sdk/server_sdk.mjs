// Drives the hub's REST API with the official server SDK (@azure/web-pubsub), as an
// application would. Args: <connection string> <hub> <alice connection id> <bob connection id>.
// Prints one line per step ("step <name> <result>") and exits 0 when every call succeeded.
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const [connectionString, hub, alice, bob] = process.argv.slice(2);
// The SDK refuses plain http unless told: the demo over TLS (https) needs no option.
const options = connectionString.includes("Endpoint=http://") ? { allowInsecureConnection: true } : {};
const service = new WebPubSubServiceClient(connectionString, hub, options);
const step = (name, value) => console.log(`step ${name} ${JSON.stringify(value)}`);

try {
  await service.sendToAll({ hello: "all" });
  step("sendToAll", true);
  step("groupExistsBefore", await service.groupExists("sdk-group"));
  await service.group("sdk-group").addConnection(alice);
  step("groupExistsAfter", await service.groupExists("sdk-group"));
  await service.group("sdk-group").sendToAll("to the group", { contentType: "text/plain" });
  step("groupSend", true);
  await service.sendToUser("bob", { hello: "bob" });
  step("sendToUser", true);
  step("userExists", await service.userExists("bob"));
  step("userMissing", await service.userExists("nobody"));
  step("connectionExists", await service.connectionExists(bob));
  await service.sendToAll("not alice", { contentType: "text/plain", filter: "userId ne 'alice'" });
  step("filteredSend", true);
  await service.grantPermission(bob, "sendToGroup", { targetName: "sdk-group" });
  step("hasPermission", await service.hasPermission(bob, "sendToGroup", { targetName: "sdk-group" }));
  const { token } = await service.getClientAccessToken({ userId: "carol" });
  step("token", token.split(".").length === 3);
  await service.closeConnection(bob, { reason: "closed by the server SDK" });
  step("closeConnection", true);
} catch (e) {
  console.error(`failed: ${e.statusCode ?? ""} ${e.message}`);
  process.exit(1);
}
