/**
 * WHM's privilege names (ACLs), grouped as WHM's "Edit Reseller Nameservers and Privileges"
 * page groups them (reference §3.8). `all` is root access and implies every other name.
 */
export const ROOT_ACL = "all";

export interface AclGroup {
  readonly id: string;
  readonly title: string;
  readonly acls: readonly string[];
}

export const ACL_GROUPS: readonly AclGroup[] = [
  {
    id: "basic",
    title: "Basic / Initial Privileges",
    acls: [
      "acct-summary",
      "basic-system-info",
      "basic-whm-functions",
      "connected-applications",
      "cors-proxy-get",
      "cpanel-api",
      "cpanel-integration",
      "create-user-session",
      "digest-auth",
      "generate-email-config",
      "list-pkgs",
      "manage-api-tokens",
      "manage-dns-records",
      "manage-oidc",
      "manage-styles",
      "mysql-info",
      "ns-config",
      "public-contact",
      "ssl-info",
      "track-email",
    ],
  },
  { id: "account-information", title: "Account Information", acls: ["list-accts", "show-bandwidth"] },
  {
    id: "account-management",
    title: "Account Management",
    acls: [
      "create-acct",
      "kill-acct",
      "suspend-acct",
      "upgrade-account",
      "ssl",
      "ssl-buy",
      "ssl-gencrt",
      "edit-mx",
      "passwd",
      "file-restore",
    ],
  },
  { id: "dns", title: "DNS", acls: ["create-dns", "kill-dns", "park-dns", "edit-dns"] },
  { id: "packages", title: "Packages", acls: ["add-pkg", "edit-pkg"] },
  { id: "other", title: "Other", acls: ["thirdparty", "mailcheck", "news", "assign-root-account-enhancements"] },
  {
    id: "package-privileges",
    title: "Package Privileges",
    acls: [
      "allow-shell",
      "viewglobalpackages",
      "allow-addoncreate",
      "allow-parkedcreate",
      "add-pkg-ip",
      "add-pkg-shell",
      "allow-unlimited-pkgs",
      "allow-emaillimits-pkgs",
      "allow-unlimited-disk-pkgs",
      "allow-unlimited-bw-pkgs",
    ],
  },
  { id: "global", title: "Global Privileges", acls: ["status", "stats", "restart", "resftp"] },
  {
    id: "super",
    title: "Super Privileges",
    acls: ["edit-account", "limit-bandwidth", "quota", "demo-setup", "rearrange-accts", "clustering", "locale-edit"],
  },
  { id: "root", title: "Root Access", acls: [ROOT_ACL] },
];

/** Keyhold's own privilege: may call the verify API for other applications (see README). */
export const VERIFY_ACL = "verify-credentials";

export const KNOWN_ACLS: readonly string[] = [...ACL_GROUPS.flatMap((group) => group.acls), VERIFY_ACL].sort();

const KNOWN_ACL_SET: ReadonlySet<string> = new Set(KNOWN_ACLS);

/** What a new reseller gets: WHM's "Initial Privileges" (`default => 1`). */
export const DEFAULT_RESELLER_ACLS: readonly string[] = ACL_GROUPS[0]!.acls;

/**
 * WHM warns that these let a token user bypass the token's own restrictions, since they reach
 * the account's password, sessions or further tokens.
 */
export const TOKEN_ESCALATION_ACLS: ReadonlySet<string> = new Set([
  "passwd",
  "create-user-session",
  "manage-api-tokens",
  "cpanel-api",
]);

export function isKnownAcl(name: string): boolean {
  return KNOWN_ACL_SET.has(name);
}

/**
 * A resolved set of privileges. Root level (`all`) answers yes to every name, including ACLs
 * added in later versions, as WHM's `hasroot` does.
 */
export class AclSet {
  readonly rootLevel: boolean;
  private readonly names: ReadonlySet<string>;

  constructor(names: Iterable<string>) {
    this.names = new Set(names);
    this.rootLevel = this.names.has(ROOT_ACL);
  }

  has(name: string): boolean {
    return this.rootLevel || this.names.has(name);
  }

  /** Sorted names held; for root level, every known name. */
  list(): string[] {
    return this.rootLevel ? [...KNOWN_ACLS] : [...this.names].sort();
  }

  /** WHM's map form: every known ACL → 0/1. */
  toFlagMap(): Record<string, 0 | 1> {
    const map: Record<string, 0 | 1> = {};
    for (const name of KNOWN_ACLS) map[name] = this.has(name) ? 1 : 0;
    return map;
  }

  intersect(names: Iterable<string>): AclSet {
    const kept: string[] = [];
    for (const name of names) if (this.has(name)) kept.push(name);
    return new AclSet(kept);
  }
}

export const NO_ACLS = new AclSet([]);
export const ROOT_ACLS = new AclSet([ROOT_ACL]);

/** De-duplicated and sorted, as WHM stores ACL lists. */
export function normalizeAclList(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
