import { when } from "../format.js";
import type { IpAccessHash } from "../types.js";
import { ExpiresCell, LastUsedCell } from "./credential-cells.js";
import { ListHead } from "./list-head.js";

export function IpAccessHashTable({ hashes, onDelete }: { hashes: readonly IpAccessHash[]; onDelete: (hash: IpAccessHash) => void }) {
  if (hashes.length === 0) return <p class="empty">No API access hashes yet.</p>;
  return (
    <table class="list">
      <ListHead caption="API access hashes" columns={["Name", "Account", "IP or range", "Starts with", "Created", "Expires", "Last used"]} actions />
      <tbody>
        {hashes.map((hash) => (
          <tr key={hash.id} class={hash.expired ? "expired" : undefined}>
            <th scope="row" data-label="Name">
              {hash.name}
            </th>
            <td data-label="Account">{hash.user}</td>
            <td data-label="IP or range" class="mono">
              {hash.ip}
            </td>
            <td data-label="Starts with" class="mono">
              {hash.prefix}…
            </td>
            <td data-label="Created">{when(hash.created_at)}</td>
            <ExpiresCell credential={hash} />
            <LastUsedCell credential={hash} />
            <td class="row-actions">
              <button type="button" class="danger" onClick={() => onDelete(hash)} aria-label={`Delete ${hash.name}`}>
                Delete
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
