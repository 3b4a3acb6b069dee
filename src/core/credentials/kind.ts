/**
 * Every kind of credential, by the name clients see (the verify API's `credential.kind`, the
 * X-Keyhold-Credential header) and the store keeps with last uses. `accesshash` is WHM's Remote
 * Access Key, `ip-access-hash` the PUQ-style key bound to an address.
 */
export type CredentialKind = "password" | "session" | "api-token" | "accesshash" | "ip-access-hash";

/** The kinds whose last use is recorded: passwords and sessions have no record of their own to carry it. */
export type UsageTrackedKind = Exclude<CredentialKind, "password" | "session">;

/**
 * A credential as a client presented it, already split out of its header or cookie. `whm` is a
 * secret after `whm user:`, which is either kind WHM sends that way (an API token or the
 * account's Remote Access Key); the verifier finds out which.
 */
export type PresentedCredential =
  | { readonly scheme: "password"; readonly username: string; readonly password: string }
  | { readonly scheme: "whm"; readonly username: string; readonly secret: string }
  | { readonly scheme: "session"; readonly secret: string; readonly securityToken: string }
  | { readonly scheme: "ip-access-hash"; readonly secret: string };

export type PresentedScheme = PresentedCredential["scheme"];
