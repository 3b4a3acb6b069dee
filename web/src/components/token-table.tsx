import { when } from "../format.js";
import type { Token } from "../types.js";
import { AclSummary } from "./acl-summary.js";
import { ExpiresCell, LastUsedCell } from "./credential-cells.js";
import { ListHead } from "./list-head.js";

interface Props {
  readonly tokens: readonly Token[];
  readonly onEdit: (token: Token) => void;
  readonly onRevoke: (token: Token) => void;
}

export function TokenTable({ tokens, onEdit, onRevoke }: Props) {
  if (tokens.length === 0) return <p class="empty">You have no API tokens yet.</p>;
  return (
    <table class="list">
      <ListHead caption="Your API tokens" columns={["Name", "Created", "Expires", "IP whitelist", "Privileges", "Last used"]} actions />
      <tbody>
        {tokens.map((token) => (
          <tr key={token.name} class={token.expired ? "expired" : undefined}>
            <th scope="row" data-label="Name">
              <span class="mono nowrap">{token.name}</span>
              {token.origin === "converted" ? <span class="badge">converted access hash</span> : null}
            </th>
            <td data-label="Created">{when(token.created_at)}</td>
            <ExpiresCell credential={token} />
            <td data-label="IP whitelist" class="mono">
              {token.whitelist_ips === null ? <span class="muted">Any address</span> : token.whitelist_ips.join(", ")}
            </td>
            <td data-label="Privileges">
              <AclSummary acls={token.full_access ? null : token.effective_acls} />
            </td>
            <LastUsedCell credential={token} />
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
