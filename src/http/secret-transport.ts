import type { FastifyInstance, FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import { isLoopback } from "../core/ip.js";
import type { HttpOptions } from "./context.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The answer carries a secret (a new token, an access hash): refused over plain HTTP from afar. */
    returnsSecret?: boolean;
  }
}

/**
 * Whether a secret may be sent back on this connection: TLS (directly, or as a trusted proxy
 * reports it), a loopback client, or an operator's explicit opt-in. WHM itself demands SSL.
 */
export function isSecureChannel(request: FastifyRequest, options: HttpOptions): boolean {
  return request.protocol === "https" || isLoopback(request.ip) || options.insecureHttp;
}

/** Throws unless a secret may be sent back here; WHM names its function and its TLS port, as cpsrvd does. */
export function requireSecureChannel(request: FastifyRequest, options: HttpOptions, whmFunction?: string): void {
  if (isSecureChannel(request, options)) return;
  throw new KeyholdError(
    "INSECURE_TRANSPORT",
    whmFunction === undefined
      ? "This returns a secret, so it must be called over HTTPS or from this machine."
      : `The “${whmFunction}” function returns a secret, so it must be called over HTTPS (port 2087) or from this machine.`,
  );
}

/**
 * Checks every route marked `config: { returnsSecret: true }` after authentication and input
 * validation, so that only a request that would get the secret is refused for its transport.
 */
export function refuseSecretsOnInsecureChannels(app: FastifyInstance, options: HttpOptions): void {
  app.addHook("preHandler", async function requireSecureChannelForSecrets(request) {
    if (request.routeOptions.config.returnsSecret === true) requireSecureChannel(request, options);
  });
}
