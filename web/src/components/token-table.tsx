import { when } from "../format.js";
import type { Token } from "../types.js";
import { AclSummary } from "./acl-summary.js";

interface Props {
  readonly tokens: readonly Token[];
  readonly onEdit: (token: Token) => void;
  readonly onRevoke: (token: Token) => void;
}

export function TokenTable({ tokens, onEdit, onRevoke }: Props) {
  if (tokens.length === 0) return <p class="empty">You have no API tokens yet.</p>;
  return (
    <table class="list">
      <caption class="offscreen">Your API tokens</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">IP whitelist</th>
          <th scope="col">Privileges</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span class="offscreen">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {tokens.map((token) => (
          <tr key={token.name} class={token.expired ? "expired" : undefined}>
            <th scope="row" data-label="Name">
              <span class="mono nowrap">{token.name}</span>
              {token.origin === "converted" ? <span class="badge">converted access hash</span> : null}
            </th>
            <td data-label="Created">{when(token.created_at)}</td>
            <td data-label="Expires">
              {token.expired ? <span class="badge bad">Expired</span> : null} {when(token.expires_at)}
            </td>
            <td data-label="IP whitelist" class="mono">
              {token.whitelist_ips === null ? <span class="muted">Any address</span> : token.whitelist_ips.join(", ")}
            </td>
            <td data-label="Privileges">
              <AclSummary acls={token.full_access ? null : token.effective_acls} />
            </td>
            <td data-label="Last used">
              {when(token.last_used_at)}
              {token.last_used_ip === null ? null : <span class="muted"> from {token.last_used_ip}</span>}
            </td>
            <td class="row-actions">
              <button type="button" onClick={() => onEdit(token)} aria-label={`Edit ${token.name}`}>
                Edit
              </button>
              <button type="button" class="danger" onClick={() => onRevoke(token)} aria-label={`Revoke ${token.name}`}>
                Revoke
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
