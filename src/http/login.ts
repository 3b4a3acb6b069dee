import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import { logIn, type LoginOutcome, type ThrottledLogin } from "../core/login.js";
import { refusal } from "./authenticate.js";
import { SESSION_COOKIE, rejectControlCharacters } from "./credentials.js";
import { clearSessionCookie, setSessionCookie } from "./session-cookies.js";

interface LoginRoute {
  Body: Record<string, unknown> | undefined;
  Querystring: Record<string, unknown>;
}

function field(body: Record<string, unknown> | undefined, name: string): string {
  const value = body?.[name];
  return typeof value === "string" ? value : "";
}

/**
 * cpsrvd's session login as cPanel::PublicAPI uses it: `POST /login` with `user` and `pass`,
 * answered with a redirect whose `Location` starts with the session's `/cpsess…` token, and a
 * cookie. `login_only=1` answers JSON instead, as cpsrvd does for scripts.
 */
export function registerLoginRoutes(app: FastifyInstance, keyhold: Keyhold): void {
  app.post<LoginRoute>("/login", { onRequest: refuseCrossSiteLoginForm }, async function login(request, reply) {
    const username = field(request.body, "user");
    const password = field(request.body, "pass");
    rejectControlCharacters(username, "user");
    if (username === "" || password === "") throw new KeyholdError("INVALID_ARGUMENT", "Give “user” and “pass” to log in.");
    const outcome = await logIn(keyhold, { username, password, ip: request.ip });
    if (outcome.kind !== "logged-in") return refuseLogin(reply, outcome);
    const { session } = outcome;
    setSessionCookie(request, reply, session.secret);
    const redirect = `/${session.securityToken}/`;
    if (request.query.login_only === "1") return { status: 1, security_token: `/${session.securityToken}`, redirect };
    reply.code(302).header("location", redirect);
    return { status: 1, security_token: `/${session.securityToken}`, redirect };
  });

  app.route({
    method: ["GET", "POST"],
    url: "/logout",
    handler: async function logout(request: FastifyRequest, reply: FastifyReply) {
      const secret = request.cookies[SESSION_COOKIE];
      if (secret !== undefined && secret !== "") {
        rejectControlCharacters(secret, "Cookie");
        await keyhold.sessions.destroy(secret);
      }
      clearSessionCookie(reply);
      return { status: 1 };
    },
  });
}

/** cpsrvd's answers to a login it refuses; a throttled one is an error like any other password check's. */
function refuseLogin(reply: FastifyReply, outcome: Exclude<LoginOutcome, { kind: "logged-in" }>): { status: 0; message: string; reason: string } {
  switch (outcome.kind) {
    case "locked-out":
    case "busy":
      throw loginThrottled(outcome);
    case "invalid":
      reply.code(401);
      return { status: 0, message: "invalid_login", reason: "The login is invalid." };
    case "role-not-allowed":
      reply.code(403);
      return { status: 0, message: "no_access", reason: "This account has no access to WHM." };
  }
}

// What browsers send in Sec-Fetch-Site for a request another site (or a sibling subdomain) made.
const CROSS_SITE = new Set(["cross-site", "same-site"]);

export const CROSS_SITE_LOGIN = "This login form was posted from another site, so it is refused. Log in from Keyhold's own page.";

/**
 * Login CSRF: another site must not be able to post its own credentials from the victim's
 * browser and so log the victim into the attacker's session. A browser says where a form came
 * from (Sec-Fetch-Site, Origin); scripts such as cPanel::PublicAPI send neither and pass.
 * Checked from the headers alone, before the body is read.
 */
export function isCrossSiteLogin(request: FastifyRequest): boolean {
  if (CROSS_SITE.has(String(request.headers["sec-fetch-site"]).toLowerCase())) return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true; // "null" (a sandboxed frame, a redirect chain) and anything unparseable.
  }
  return host === "" || host.toLowerCase() !== request.host.toLowerCase();
}

async function refuseCrossSiteLoginForm(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  if (!isCrossSiteLogin(request)) return undefined;
  return reply.code(403).header("connection", "close").send({ status: 0, message: "cross_site", reason: CROSS_SITE_LOGIN });
}

/** Both logins answer a throttled password check as every password check does: 429 or 503 with Retry-After. */
export function loginThrottled(outcome: ThrottledLogin): KeyholdError {
  const busy = outcome.kind === "busy" ? { busy: outcome.scope } : {};
  return refusal({ valid: false, code: "LOCKED_OUT", retryAfterSeconds: outcome.retryAfterSeconds, ...busy });
}
