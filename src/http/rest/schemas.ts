import { Type, type TSchema } from "typebox";

// The REST API's shapes, written once: Fastify validates requests with them, serialises
// responses with them, and @fastify/swagger publishes them as the OpenAPI document.

/** PUQ's success envelope around `msg`. */
export function Success<T extends TSchema>(msg: T) {
  return Type.Object({ error: Type.Literal(""), msg, status: Type.Literal("success") });
}

export const Failure = Type.Object(
  { error: Type.String({ description: "What went wrong, for a person to read." }), msg: Type.Literal(""), status: Type.Literal("error") },
  { $id: "Failure" },
);

const EpochSeconds = Type.Union([Type.Integer(), Type.Null()], { description: "Unix time in seconds, or null" });

export const IpAccessHash = Type.Object({
  id: Type.String(),
  user: Type.String({ description: "The account the hash authenticates as" }),
  name: Type.String(),
  ip: Type.String({ description: "The address or CIDR range it works from" }),
  prefix: Type.String({ description: "The first characters of the secret" }),
  created_at: Type.Integer(),
  expires_at: EpochSeconds,
  expired: Type.Boolean(),
  last_used_at: EpochSeconds,
  last_used_ip: Type.Union([Type.String(), Type.Null()]),
});

export const CreatedIpAccessHash = Type.Object({
  ...IpAccessHash.properties,
  access_hash: Type.String({ description: "The secret: 80 hexadecimal characters, shown only in this response" }),
});

export const IpAccessHashCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  ip: Type.String({ minLength: 1, maxLength: 64, description: "One IPv4 or IPv6 address, or a CIDR range" }),
  expires_at: Type.Optional(Type.Integer({ minimum: 0, description: "Unix time in seconds; 0 or absent: never" })),
  user: Type.Optional(Type.String({ description: "The account it authenticates as (default: the caller)" })),
});

export const IpAccessHashUpdate = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  ip: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  expires_at: Type.Optional(Type.Integer({ minimum: 0, description: "Unix time in seconds; 0: never" })),
});

export const Account = Type.Object({
  user: Type.String(),
  role: Type.Union([Type.Literal("root"), Type.Literal("reseller"), Type.Literal("user")]),
  owner: Type.String(),
  domain: Type.Union([Type.String(), Type.Null()]),
  acls: Type.Array(Type.String()),
  suspended: Type.Boolean(),
  has_password: Type.Boolean(),
  created_at: Type.Integer(),
});

export const AccountCreate = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 16 }),
  domain: Type.String({ minLength: 1, maxLength: 253 }),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  reseller: Type.Optional(Type.Boolean()),
  owner: Type.Optional(Type.String()),
});

export const AccountUpdate = Type.Object({
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  acls: Type.Optional(Type.Array(Type.String(), { description: "A reseller's privileges; replaces the list" })),
  suspended: Type.Optional(Type.Boolean()),
  reseller: Type.Optional(Type.Boolean({ description: "true makes the account a reseller, false a plain user" })),
});

export const WhmAccessHash = Type.Object({
  user: Type.String(),
  accesshash: Type.String({ description: "960 hexadecimal characters" }),
  signature: Type.String({ description: "The Access Key Signature" }),
  created_at: Type.Integer(),
  last_used_at: EpochSeconds,
  last_used_ip: Type.Union([Type.String(), Type.Null()]),
});

export const Token = Type.Object({
  user: Type.String(),
  name: Type.String(),
  created_at: Type.Integer(),
  expires_at: EpochSeconds,
  expired: Type.Boolean(),
  full_access: Type.Boolean(),
  acls: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "As stored; null is full access" }),
  effective_acls: Type.Array(Type.String(), { description: "What the token may do now" }),
  whitelist_ips: Type.Union([Type.Array(Type.String()), Type.Null()]),
  last_used_at: EpochSeconds,
  last_used_ip: Type.Union([Type.String(), Type.Null()]),
  origin: Type.String(),
});

export const CreatedToken = Type.Object({ ...Token.properties, token: Type.String({ description: "The plaintext, shown only in this response" }) });

export const TokenCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 50 }),
  acls: Type.Optional(Type.Array(Type.String())),
  expires_at: Type.Optional(Type.Integer({ minimum: 0 })),
  whitelist_ips: Type.Optional(Type.Array(Type.String())),
  user: Type.Optional(Type.String({ description: "Whose token (default: the caller)" })),
});

export const TokenUpdate = Type.Object({
  new_name: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  acls: Type.Optional(Type.Array(Type.String())),
  expires_at: Type.Optional(Type.Integer({ minimum: 0 })),
  whitelist_ips: Type.Optional(Type.Array(Type.String())),
});

export const UserQuery = Type.Object({ user: Type.Optional(Type.String()) });

export const Setting = Type.Object({
  key: Type.String(),
  type: Type.Union([Type.Literal("binary"), Type.Literal("number"), Type.Literal("address-list")], { description: "address-list: addresses and CIDR ranges, comma-separated" }),
  value: Type.Union([Type.Integer(), Type.String()]),
  default: Type.Union([Type.Integer(), Type.String()]),
  label: Type.String(),
  help: Type.String(),
});

export const AuditEntry = Type.Object({
  id: Type.String(),
  at: Type.Integer({ description: "Unix time in milliseconds" }),
  actor: Type.String(),
  ip: Type.String(),
  action: Type.String(),
  target: Type.String(),
  outcome: Type.String(),
  detail: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
});

export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  since: Type.Optional(Type.Integer({ description: "Unix time in milliseconds" })),
  until: Type.Optional(Type.Integer({ description: "Unix time in milliseconds" })),
  before: Type.Optional(Type.String({ description: "An entry id: page back from it" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const SystemStatus = Type.Object({
  status: Type.String(),
  version: Type.String(),
  uptime_seconds: Type.Integer(),
  store: Type.String(),
  // Store-wide, so only for root level.
  count_accounts: Type.Optional(Type.Integer({ description: "Root level only" })),
  count_resellers: Type.Optional(Type.Integer({ description: "Root level only" })),
  count_tokens: Type.Optional(Type.Integer({ description: "Root level only" })),
  count_access_hashes: Type.Optional(Type.Integer({ description: "Root level only" })),
  count_remote_access_keys: Type.Optional(Type.Integer({ description: "Root level only" })),
});

export const SessionLogin = Type.Object({ user: Type.String({ minLength: 1 }), pass: Type.String({ minLength: 1 }) });

export const SessionInfo = Type.Object({
  user: Type.String(),
  role: Type.String(),
  acls: Type.Array(Type.String()),
  credential: Type.Object({ kind: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }),
  security_token: Type.Optional(Type.String({ description: "Send as X-CSRF-Token with the session cookie" })),
});
