import type { Static } from "typebox";
import type * as Schemas from "../../src/http/rest/schemas.js";

// The server's own request and response schemas, so the UI cannot drift from the API.
export type Token = Static<typeof Schemas.Token>;
export type CreatedToken = Static<typeof Schemas.CreatedToken>;
export type IpAccessHash = Static<typeof Schemas.IpAccessHash>;
export type CreatedIpAccessHash = Static<typeof Schemas.CreatedIpAccessHash>;
export type Account = Static<typeof Schemas.Account>;
export type WhmAccessHash = Static<typeof Schemas.WhmAccessHash>;
export type Setting = Static<typeof Schemas.Setting>;
export type AuditEntry = Static<typeof Schemas.AuditEntry>;
export type Session = Static<typeof Schemas.SessionInfo>;

/** GET /api/v1/acls */
export interface AclCatalogue {
  readonly groups: ReadonlyArray<{ readonly id: string; readonly title: string; readonly acls: readonly string[] }>;
  readonly token_escalation: readonly string[];
}

/** POST /api/v1/accounts/{user}/accesshash/convert */
export interface Conversion {
  readonly token: Token;
  readonly already_converted: boolean;
}

export const ROOT_ACL = "all";

export function isRootLevel(session: Session): boolean {
  return session.acls.includes(ROOT_ACL);
}

export function holds(session: Session, acl: string): boolean {
  return isRootLevel(session) || session.acls.includes(acl);
}
