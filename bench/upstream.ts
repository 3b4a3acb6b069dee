import { createServer } from "node:http";

// A hello-world application for the gateway scenario, in its own process so it does not share
// a core with the load generator or with Keyhold.
const server = createServer((_request, response) => {
  response.setHeader("content-type", "application/json");
  response.end('{"hello":"world"}');
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address !== null && typeof address === "object") process.stdout.write(`upstream listening on http://127.0.0.1:${address.port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
