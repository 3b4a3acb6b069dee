import type {} from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import { SESSION_TTL_MS } from "../core/credentials/session.js";
import { SESSION_COOKIE } from "./credentials.js";

/** The session cookie both logins set, for as long as the session lives. */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, secret: string): void {
  reply.setCookie(SESSION_COOKIE, secret, {
    path: "/",
    // Scripts never need to read it, and a cross-site request must not carry it.
    httpOnly: true,
    sameSite: "strict",
    // Only over TLS: a Secure cookie set on plain HTTP would never come back (and PublicAPI on 2086 needs it).
    secure: request.protocol === "https",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: "/" });
}
