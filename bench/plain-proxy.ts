import proxy from "@fastify/http-proxy";
import Fastify from "fastify";

// The gateway's reference: the same proxy plugin in front of the same upstream, with no
// authentication, so the gateway's ratio shows what Keyhold adds rather than the second hop.
const upstream = process.argv[2];
if (upstream === undefined) throw new Error("usage: plain-proxy.js <upstream URL>");
const app = Fastify({ logger: false });
await app.register(proxy, { upstream, prefix: "/app", rewritePrefix: "/" });
const address = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`proxy listening on ${address}\n`);
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
