import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import { SESSION_TTL_MS } from "../core/sessions.js";
import { refusal } from "./authenticate.js";
import { SESSION_COOKIE, rejectControlCharacters } from "./credentials.js";

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
    const outcome = await keyhold.verifier.verify({ scheme: "password", username, password }, { ip: request.ip });
    if (!outcome.valid) {
      if (outcome.code === "LOCKED_OUT") throw refusal(outcome);
      reply.code(401);
      return { status: 0, message: "invalid_login", reason: "The login is invalid." };
    }
    const account = outcome.identity.account;
    if (account.role === "user") {
      reply.code(403);
      return { status: 0, message: "no_access", reason: "This account has no access to WHM." };
    }
    const session = await keyhold.sessions.create(account, request.ip);
    setSessionCookie(reply, session.secret, request.protocol === "https");
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
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return { status: 1 };
    },
  });
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

function setSessionCookie(reply: FastifyReply, secret: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, secret, {
    path: "/",
    httpOnly: true,
    sameSite: "strict",
    // Only over TLS: a Secure cookie set on plain HTTP would never come back (and PublicAPI on 2086 needs it).
    secure,
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}
