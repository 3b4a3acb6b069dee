import fastifyStatic, { type SetHeadersResponse } from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The page may load only what this server serves: no inline script or style, no plugins, no
 * framing (clickjacking), and forms and `<base>` cannot point elsewhere.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const IMMUTABLE = "public, max-age=31536000, immutable";

// Vite names everything under assets/ after a hash of its content, so a changed file gets a new URL.
const HASHED_ASSET = `${sep}assets${sep}`;

/** `dist/web` of the package this file belongs to, found from here whether it runs from `src` or `dist/src`. */
export function defaultWebRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, "package.json"))) {
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return join(directory, "dist", "web");
}

function setUiHeaders(response: SetHeadersResponse, path: string): void {
  response.setHeader("x-content-type-options", "nosniff");
  response.setHeader("referrer-policy", "no-referrer");
  if (path.endsWith(".html")) {
    // Revalidated on every load, so a new release's asset names are picked up at once.
    response.setHeader("cache-control", "no-cache");
    response.setHeader("content-security-policy", UI_CONTENT_SECURITY_POLICY);
  } else {
    response.setHeader("cache-control", path.includes(HASHED_ASSET) ? IMMUTABLE : "no-cache");
  }
}

export interface WebUiOptions {
  /** The built UI; `dist/web` by default. */
  readonly root?: string;
}

/**
 * Serves the web UI's build at `/`, or nothing when it was not built (API-only installs and
 * tests). Only the files present at start get routes, so every other path still reaches the
 * APIs' own routes and 404 handler.
 */
export async function webUi(app: FastifyInstance, options: WebUiOptions = {}): Promise<void> {
  const root = options.root ?? defaultWebRoot();
  if (!existsSync(join(root, "index.html"))) return;
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    wildcard: false,
    index: ["index.html"],
    cacheControl: false,
    dotfiles: "ignore",
    setHeaders: setUiHeaders,
  });
}
