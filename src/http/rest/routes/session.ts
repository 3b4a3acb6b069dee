import { KeyholdError } from "../../../core/errors.js";
import { SESSION_TTL_MS } from "../../../core/sessions.js";
import { refusal } from "../../authenticate.js";
import { CROSS_SITE_LOGIN, isCrossSiteLogin } from "../../login.js";
import { SESSION_COOKIE, rejectControlCharacters } from "../../credentials.js";
import type { RestApp, RestContext } from "../app.js";
import { success } from "../present.js";
import { SessionInfo, SessionLogin, Success } from "../schemas.js";
import { errorResponses } from "./common.js";
import { Type } from "typebox";

const tags = ["Session"];

/** Browser sessions for the web UI: a cookie plus a security token sent back as X-CSRF-Token. */
export function registerSessionRoutes(app: RestApp, { keyhold }: RestContext): void {
  app.post("/session", {
    config: { public: true },
    async onRequest(request) {
      if (isCrossSiteLogin(request)) throw new KeyholdError("FORBIDDEN", CROSS_SITE_LOGIN);
    },
    schema: { tags, summary: "Log in with a password", body: SessionLogin, response: { 201: Success(SessionInfo), ...errorResponses } },
    handler: async (request, reply) => {
      rejectControlCharacters(request.body.user, "user");
      const outcome = await keyhold.verifier.verify({ scheme: "password", username: request.body.user, password: request.body.pass }, { ip: request.ip });
      if (!outcome.valid) {
        if (outcome.code === "LOCKED_OUT") throw refusal(outcome);
        throw new KeyholdError("UNAUTHENTICATED", "The login is invalid.");
      }
      const { account, acls } = outcome.identity;
      if (account.role === "user") throw new KeyholdError("FORBIDDEN", "This account has no access to Keyhold's management.");
      const session = await keyhold.sessions.create(account, request.ip);
      reply.setCookie(SESSION_COOKIE, session.secret, {
        path: "/",
        httpOnly: true,
        sameSite: "strict",
        secure: request.protocol === "https",
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      reply.code(201);
      return success({ user: account.username, role: account.role, acls: acls.list(), credential: { kind: "session", name: null }, security_token: session.securityToken });
    },
  });

  app.get("/session", {
    schema: { tags, summary: "Who the request is authenticated as", response: { 200: Success(SessionInfo), ...errorResponses } },
    handler: async (request) => {
      const identity = request.identity!;
      return success({
        user: identity.account.username,
        role: identity.account.role,
        acls: identity.acls.list(),
        credential: { kind: identity.credential.kind, name: identity.credential.name },
      });
    },
  });

  app.delete("/session", {
    schema: { tags, summary: "Log out", response: { 200: Success(Type.Object({ logged_out: Type.Boolean() })), ...errorResponses } },
    handler: async (request, reply) => {
      const secret = request.cookies[SESSION_COOKIE];
      if (secret !== undefined && request.identity?.credential.kind === "session") await keyhold.sessions.destroy(secret);
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return success({ logged_out: true });
    },
  });
}
