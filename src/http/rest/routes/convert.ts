import { Type } from "typebox";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { presentToken, success } from "../present.js";
import { Success, Token } from "../schemas.js";
import { errorResponses } from "./common.js";

const UserParams = Type.Object({ username: Type.String() });

const Conversion = Type.Object({
  token: Token,
  already_converted: Type.Boolean({ description: "true when an earlier conversion made this token; it is left as it is" }),
});

/**
 * `convert-accesshash-to-token` for one account, with the CLI's rules: reading the access hash
 * decides who may convert it. Like the CLI it works whatever `allow_deprecated_accesshash` says,
 * since converting is how one moves away from access hashes. The answer holds no secret: the
 * token's plaintext is the access hash the caller already has.
 */
export function registerConvertRoutes(app: RestApp, { keyhold }: RestContext): void {
  app.post("/accounts/:username/accesshash/convert", {
    schema: {
      tags: ["Remote Access Key"],
      summary: "Convert a WHM access hash to a full-access API token whose plaintext is the access hash",
      params: UserParams,
      response: { 200: Success(Conversion), 201: Success(Conversion), ...errorResponses },
    },
    handler: async (request, reply) => {
      const actor = actorOf(request);
      const view = await keyhold.accessHashes.read(actor, request.params.username);
      const owner = await keyhold.accounts.require(view.user);
      const result = await keyhold.tokens.convertAccessHash(actor, owner, view.accesshash);
      const alreadyConverted = result.status === "exists";
      reply.code(alreadyConverted ? 200 : 201);
      return success({ token: presentToken(result.token), already_converted: alreadyConverted });
    },
  });
}
