import { Type } from "typebox";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { presentIpAccessHash, success } from "../present.js";
import { CreatedIpAccessHash, IpAccessHash, IpAccessHashCreate, IpAccessHashUpdate, Success } from "../schemas.js";
import { errorResponses } from "./common.js";

const IdParams = Type.Object({ id: Type.String() });
const tags = ["API access hashes"];

/** PUQ's Settings → API: IP-bound access hashes, shown once. */
export function registerIpAccessHashRoutes(app: RestApp, { keyhold }: RestContext): void {
  app.get("/access_hashes", {
    schema: { tags, summary: "List API access hashes (never their secrets)", response: { 200: Success(Type.Array(IpAccessHash)), ...errorResponses } },
    handler: async (request) => success((await keyhold.ipAccessHashes.list(actorOf(request))).map(presentIpAccessHash)),
  });

  app.post("/access_hashes", {
    // The answer carries a bearer secret, so it gets the same transport rule as api_token_create.
    config: { returnsSecret: true },
    schema: { tags, summary: "Create an API access hash; the secret is in this response only", body: IpAccessHashCreate, response: { 201: Success(CreatedIpAccessHash), ...errorResponses } },
    handler: async (request, reply) => {
      const created = await keyhold.ipAccessHashes.create(actorOf(request), {
        name: request.body.name,
        ip: request.body.ip,
        expiresAt: request.body.expires_at ?? null,
        ...(request.body.user === undefined ? {} : { user: request.body.user }),
      });
      reply.code(201);
      return success({ ...presentIpAccessHash(created), access_hash: created.accessHash });
    },
  });

  app.get("/access_hashes/:id", {
    schema: { tags, summary: "Read one API access hash", params: IdParams, response: { 200: Success(IpAccessHash), ...errorResponses } },
    handler: async (request) => success(presentIpAccessHash(await keyhold.ipAccessHashes.get(actorOf(request), request.params.id))),
  });

  app.put("/access_hashes/:id", {
    schema: { tags, summary: "Change an API access hash's name, IP or expiry", params: IdParams, body: IpAccessHashUpdate, response: { 200: Success(IpAccessHash), ...errorResponses } },
    handler: async (request) => {
      const view = await keyhold.ipAccessHashes.update(actorOf(request), request.params.id, {
        ...(request.body.name === undefined ? {} : { name: request.body.name }),
        ...(request.body.ip === undefined ? {} : { ip: request.body.ip }),
        ...(request.body.expires_at === undefined ? {} : { expiresAt: request.body.expires_at }),
      });
      return success(presentIpAccessHash(view));
    },
  });

  app.delete("/access_hashes/:id", {
    schema: { tags, summary: "Delete an API access hash; it stops working on the next request", params: IdParams, response: { 200: Success(Type.Object({ id: Type.String(), deleted: Type.Boolean() })), ...errorResponses } },
    handler: async (request) => {
      await keyhold.ipAccessHashes.delete(actorOf(request), request.params.id);
      return success({ id: request.params.id, deleted: true });
    },
  });
}
