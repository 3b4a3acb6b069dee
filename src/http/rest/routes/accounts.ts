import { Type } from "typebox";
import { KeyholdError } from "../../../core/errors.js";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { presentAccount, presentWhmAccessHash, success } from "../present.js";
import { Account, AccountCreate, AccountUpdate, Success, WhmAccessHash } from "../schemas.js";
import { errorResponses } from "./common.js";

const UserParams = Type.Object({ username: Type.String() });
const tags = ["Accounts"];

export function registerAccountRoutes(app: RestApp, { keyhold }: RestContext): void {
  app.get("/accounts", {
    schema: { tags, summary: "List accounts (root: all; a reseller: its own)", response: { 200: Success(Type.Array(Account)), ...errorResponses } },
    handler: async (request) => success((await keyhold.accounts.list(actorOf(request))).map(presentAccount)),
  });

  app.post("/accounts", {
    schema: { tags, summary: "Create an account (createacct)", body: AccountCreate, response: { 201: Success(Account), ...errorResponses } },
    handler: async (request, reply) => {
      const account = await keyhold.accounts.create(actorOf(request), {
        username: request.body.username,
        password: request.body.password ?? null,
        domain: request.body.domain,
        reseller: request.body.reseller === true,
        ...(request.body.owner === undefined ? {} : { owner: request.body.owner }),
      });
      reply.code(201);
      return success(presentAccount(account));
    },
  });

  app.get("/accounts/:username", {
    schema: { tags, summary: "Read one account", params: UserParams, response: { 200: Success(Account), ...errorResponses } },
    handler: async (request) => success(presentAccount(await keyhold.accounts.get(actorOf(request), request.params.username))),
  });

  app.put("/accounts/:username", {
    schema: { tags, summary: "Change an account's password, privileges, suspension or reseller status", params: UserParams, body: AccountUpdate, response: { 200: Success(Account), ...errorResponses } },
    handler: async (request) => {
      const actor = actorOf(request);
      const { username } = request.params;
      const { password, acls, suspended, reseller } = request.body;
      if (password === undefined && acls === undefined && suspended === undefined && reseller === undefined) {
        throw new KeyholdError("INVALID_ARGUMENT", "Give at least one of password, acls, suspended or reseller.");
      }
      await keyhold.accounts.edit(actor, username, {
        ...(password === undefined ? {} : { password }),
        ...(acls === undefined ? {} : { acls }),
        ...(suspended === undefined ? {} : { suspended }),
        ...(reseller === undefined ? {} : { reseller }),
      });
      return success(presentAccount(await keyhold.accounts.get(actor, username)));
    },
  });

  app.delete("/accounts/:username", {
    schema: { tags, summary: "Remove an account with its credentials (removeacct)", params: UserParams, response: { 200: Success(Type.Object({ user: Type.String(), removed: Type.Boolean() })), ...errorResponses } },
    handler: async (request) => {
      await keyhold.accounts.remove(actorOf(request), request.params.username);
      return success({ user: request.params.username, removed: true });
    },
  });

  app.get("/accounts/:username/accesshash", {
    config: { returnsSecret: true },
    schema: { tags: ["Remote Access Key"], summary: "Read a WHM access hash with its Access Key Signature", params: UserParams, response: { 200: Success(WhmAccessHash), ...errorResponses } },
    handler: async (request) => {
      keyhold.accessHashes.requireEnabled();
      return success(presentWhmAccessHash(await keyhold.accessHashes.read(actorOf(request), request.params.username)));
    },
  });

  app.post("/accounts/:username/accesshash", {
    config: { returnsSecret: true },
    schema: { tags: ["Remote Access Key"], summary: "Generate a new WHM access hash; the old one stops working at once", params: UserParams, response: { 201: Success(WhmAccessHash), ...errorResponses } },
    handler: async (request, reply) => {
      keyhold.accessHashes.requireEnabled();
      const view = await keyhold.accessHashes.generate(actorOf(request), request.params.username);
      reply.code(201);
      return success(presentWhmAccessHash(view));
    },
  });
}
