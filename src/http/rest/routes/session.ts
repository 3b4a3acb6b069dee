import { KeyholdError } from "../../../core/errors.js";
import { logIn, type LoginOutcome } from "../../../core/login.js";
import { CROSS_SITE_LOGIN, isCrossSiteLogin, loginThrottled } from "../../login.js";
import { SESSION_COOKIE, rejectControlCharacters } from "../../credentials.js";
import { clearSessionCookie, setSessionCookie } from "../../session-cookies.js";
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
      const outcome = await logIn(keyhold, { username: request.body.user, password: request.body.pass, ip: request.ip });
      if (outcome.kind !== "logged-in") throw loginRefusal(outcome);
      const { account, acls, session } = outcome;
      setSessionCookie(request, reply, session.secret);
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
      clearSessionCookie(reply);
      return success({ logged_out: true });
    },
  });
}

function loginRefusal(outcome: Exclude<LoginOutcome, { kind: "logged-in" }>): KeyholdError {
  switch (outcome.kind) {
    case "locked-out":
    case "busy":
      return loginThrottled(outcome);
    case "invalid":
      return new KeyholdError("UNAUTHENTICATED", "The login is invalid.");
    case "role-not-allowed":
      return new KeyholdError("FORBIDDEN", "This account has no access to Keyhold's management.");
  }
}
