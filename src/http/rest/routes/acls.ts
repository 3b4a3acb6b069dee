import { Type } from "typebox";
import { ACL_GROUPS, TOKEN_ESCALATION_ACLS, VERIFY_ACL } from "../../../core/acl.js";
import type { RestApp } from "../app.js";
import { success } from "../present.js";
import { Success } from "../schemas.js";
import { errorResponses } from "./common.js";

const AclGroup = Type.Object({ id: Type.String(), title: Type.String(), acls: Type.Array(Type.String()) });

const AclCatalogue = Type.Object({
  groups: Type.Array(AclGroup, { description: "Every privilege name, grouped as WHM groups them; `all` is root access" }),
  token_escalation: Type.Array(Type.String(), { description: "Privileges that let a token's user get around the token's own restrictions" }),
});

// Keyhold's own privilege belongs to no WHM group, but forms must still be able to grant it.
const GROUPS = [...ACL_GROUPS, { id: "keyhold", title: "Keyhold", acls: [VERIFY_ACL] }].map((group) => ({ id: group.id, title: group.title, acls: [...group.acls] }));
const ESCALATION = [...TOKEN_ESCALATION_ACLS].sort();

/** The privilege catalogue forms are built from; public because it holds nothing about any account. */
export function registerAclRoutes(app: RestApp): void {
  app.get("/acls", {
    config: { public: true },
    schema: { tags: ["ACLs"], summary: "Every privilege (ACL) name, grouped", response: { 200: Success(AclCatalogue), ...errorResponses } },
    handler: async () => success({ groups: GROUPS, token_escalation: ESCALATION }),
  });
}
