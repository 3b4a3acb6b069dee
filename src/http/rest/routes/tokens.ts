import { Type } from "typebox";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { presentToken, success } from "../present.js";
import { CreatedToken, Success, Token, TokenCreate, TokenUpdate, UserQuery } from "../schemas.js";
import { errorResponses } from "./common.js";

const NameParams = Type.Object({ name: Type.String() });
const tags = ["API tokens"];

/** WHM API tokens; `?user=` reaches another account's tokens for root and its resellers. */
export function registerTokenRoutes(app: RestApp, { keyhold }: RestContext): void {
  app.get("/tokens", {
    schema: { tags, summary: "List API tokens", querystring: UserQuery, response: { 200: Success(Type.Array(Token)), ...errorResponses } },
    handler: async (request) => {
      const actor = actorOf(request);
      return success((await keyhold.tokens.list(actor, request.query.user ?? actor.username)).map(presentToken));
    },
  });

  app.post("/tokens", {
    config: { returnsSecret: true },
    schema: { tags, summary: "Create an API token; the plaintext is in this response only", body: TokenCreate, response: { 201: Success(CreatedToken), ...errorResponses } },
    handler: async (request, reply) => {
      const actor = actorOf(request);
      const created = await keyhold.tokens.create(actor, request.body.user ?? actor.username, {
        name: request.body.name,
        acls: request.body.acls ?? [],
        expiresAt: String(request.body.expires_at ?? ""),
        whitelistIps: request.body.whitelist_ips ?? [],
      });
      reply.code(201);
      return success({ ...presentToken(created), token: created.token });
    },
  });

  app.get("/tokens/:name", {
    schema: { tags, summary: "Read one API token", params: NameParams, querystring: UserQuery, response: { 200: Success(Token), ...errorResponses } },
    handler: async (request) => {
      const actor = actorOf(request);
      return success(presentToken(await keyhold.tokens.get(actor, request.query.user ?? actor.username, request.params.name)));
    },
  });

  app.put("/tokens/:name", {
    schema: { tags, summary: "Rename an API token or change its ACLs, expiry or IP whitelist", params: NameParams, querystring: UserQuery, body: TokenUpdate, response: { 200: Success(Token), ...errorResponses } },
    handler: async (request) => {
      const actor = actorOf(request);
      const { new_name: newName, acls, expires_at: expiresAt, whitelist_ips: whitelistIps } = request.body;
      const view = await keyhold.tokens.update(actor, request.query.user ?? actor.username, request.params.name, {
        ...(newName === undefined ? {} : { newName }),
        ...(acls === undefined ? {} : { acls }),
        ...(expiresAt === undefined ? {} : { expiresAt: String(expiresAt) }),
        ...(whitelistIps === undefined ? {} : { whitelistIps: whitelistIps.length === 0 ? ["any"] : whitelistIps }),
      });
      return success(presentToken(view));
    },
  });

  app.delete("/tokens/:name", {
    schema: { tags, summary: "Revoke an API token; it stops working on the next request", params: NameParams, querystring: UserQuery, response: { 200: Success(Type.Object({ name: Type.String(), revoked: Type.Boolean() })), ...errorResponses } },
    handler: async (request) => {
      const actor = actorOf(request);
      const owner = request.query.user ?? actor.username;
      await keyhold.tokens.get(actor, owner, request.params.name);
      await keyhold.tokens.revoke(actor, owner, [request.params.name]);
      return success({ name: request.params.name, revoked: true });
    },
  });
}
