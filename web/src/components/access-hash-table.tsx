import { when } from "../format.js";
import type { AccessHash } from "../types.js";

export function AccessHashTable({ hashes, onDelete }: { hashes: readonly AccessHash[]; onDelete: (hash: AccessHash) => void }) {
  if (hashes.length === 0) return <p class="empty">No API access hashes yet.</p>;
  return (
    <table class="list">
      <caption class="offscreen">API access hashes</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Account</th>
          <th scope="col">IP or range</th>
          <th scope="col">Starts with</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span class="offscreen">Actions</span>
          </th>
        </tr>
      </thead>
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
            <td data-label="Expires">
              {hash.expired ? <span class="badge bad">Expired</span> : null} {when(hash.expires_at)}
            </td>
            <td data-label="Last used">
              {when(hash.last_used_at)}
              {hash.last_used_ip === null ? null : <span class="muted"> from {hash.last_used_ip}</span>}
            </td>
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
