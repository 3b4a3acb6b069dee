import { when } from "../format.js";

interface Expiring {
  readonly expired: boolean;
  readonly expires_at: number | null;
}

interface Used {
  readonly last_used_at: number | null;
  readonly last_used_ip: string | null;
}

/** When a credential expires, marked once it has. */
export function ExpiresCell({ credential }: { credential: Expiring }) {
  return (
    <td data-label="Expires">
      {credential.expired ? <span class="badge bad">Expired</span> : null} {when(credential.expires_at)}
    </td>
  );
}

/** When and from where a credential was last used. */
export function LastUsedCell({ credential }: { credential: Used }) {
  return (
    <td data-label="Last used">
      {when(credential.last_used_at)}
      {credential.last_used_ip === null ? null : <span class="muted"> from {credential.last_used_ip}</span>}
    </td>
  );
}
