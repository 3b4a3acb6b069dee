import { Type } from "typebox";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { success } from "../present.js";
import { Success } from "../schemas.js";
import { errorResponses } from "./common.js";

const tags = ["Brute force"];

const Block = Type.Object({
  key: Type.String({ description: "ip:<address or IPv6 /64>, account:<user>, verify:<caller>:<address> or verify:<caller>" }),
  kind: Type.Union([Type.Literal("ip"), Type.Literal("account"), Type.Literal("verify")]),
  failures: Type.Integer({ description: "Failures counted within the longest period" }),
  blocked_until: Type.Union([Type.Integer({ description: "Unix time in milliseconds" }), Type.Null()]),
  retry_after: Type.Union([Type.Integer({ description: "Seconds until the block ends" }), Type.Null()]),
});

const Flushed = Type.Object({ flushed: Type.Array(Type.String(), { description: "The keys whose blocks and failures were forgotten" }) });

/**
 * cPHulk's list and flush, for root: the way out of a lockout that does not wait it out. The
 * routes take a root API token even from a blocked address (the newcomer's own machine,
 * usually); a password there stays blocked.
 */
export function registerBruteForceRoutes(app: RestApp, { keyhold }: RestContext): void {
  const config = { tokensPassAddressBlock: true };
  app.get("/brute-force", {
    config,
    schema: { tags, summary: "Current brute-force blocks and counted failures (root)", response: { 200: Success(Type.Array(Block)), ...errorResponses } },
    handler: async (request) => {
      const blocks = await keyhold.blocks.list(actorOf(request));
      return success(blocks.map((block) => ({ key: block.key, kind: block.kind, failures: block.failures, blocked_until: block.blockedUntil, retry_after: block.retryAfterSeconds })));
    },
  });

  app.delete("/brute-force", {
    config,
    schema: { tags, summary: "Flush every block and counted failure (root)", response: { 200: Success(Flushed), ...errorResponses } },
    handler: async (request) => success({ flushed: await keyhold.blocks.flush(actorOf(request), null) }),
  });

  app.delete("/brute-force/:target", {
    config,
    schema: {
      tags,
      summary: "Flush the blocks and failures of an address (its IPv6 /64), a user, or one key as listed (root)",
      params: Type.Object({ target: Type.String({ maxLength: 200 }) }),
      response: { 200: Success(Flushed), ...errorResponses },
    },
    handler: async (request) => success({ flushed: await keyhold.blocks.flush(actorOf(request), request.params.target) }),
  });
}
