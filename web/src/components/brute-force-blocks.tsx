import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { when } from "../format.js";
import { useLoad } from "../use-load.js";
import { ErrorMessage } from "./error-message.js";
import { ListHead } from "./list-head.js";
import { StatusMessage } from "./status-message.js";

/** GET /api/v1/brute-force */
interface Block {
  readonly key: string;
  readonly kind: "ip" | "account" | "verify";
  readonly failures: number;
  readonly blocked_until: number | null;
  readonly retry_after: number | null;
}

const KIND: Record<Block["kind"], string> = { ip: "Address", account: "Account", verify: "Verify-API caller" };

/** cPHulk's flush in Tweak Settings: the current blocks, each with its own Flush, and Flush all. */
export function BruteForceBlocks() {
  const blocks = useLoad(() => api<Block[]>("GET", "/brute-force"), []);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function flush(key: string | null): Promise<void> {
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const { flushed } = await api<{ flushed: string[] }>("DELETE", key === null ? "/brute-force" : `/brute-force/${encodeURIComponent(key)}`);
      setStatus(flushed.length === 0 ? "Nothing to flush." : `Flushed ${flushed.join(", ")}.`);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
      blocks.reload();
    }
  }

  const list = blocks.data ?? [];
  return (
    <section class="card" aria-label="Brute-force blocks">
      <h2>Brute-force blocks</h2>
      <p class="hint">
        Blocked addresses (an IPv6 address counts as its /64) and accounts, and counted failures. Flushing forgets them at once; the same is{" "}
        <code>keyhold brute-force flush [address|user]</code>.
      </p>
      <ErrorMessage message={blocks.error ?? error} />
      <StatusMessage message={status} />
      {blocks.data === null ? null : list.length === 0 ? (
        <p class="empty">Nothing is blocked and no failures are counted.</p>
      ) : (
        <table class="list">
          <ListHead caption="Brute-force blocks" columns={["Key", "Kind", "Failures", "Blocked until"]} actions />
          <tbody>
            {list.map((block) => (
              <tr key={block.key}>
                <th scope="row" data-label="Key" class="mono">
                  {block.key}
                </th>
                <td data-label="Kind">{KIND[block.kind]}</td>
                <td data-label="Failures">{block.failures}</td>
                <td data-label="Blocked until">{block.blocked_until === null ? <span class="muted">Not blocked</span> : when(block.blocked_until, "", "ms")}</td>
                <td class="row-actions">
                  <button type="button" disabled={busy} onClick={() => void flush(block.key)} aria-label={`Flush ${block.key}`}>
                    Flush
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="actions">
        <button type="button" disabled={busy || list.length === 0} onClick={() => void flush(null)}>
          Flush all
        </button>
      </div>
    </section>
  );
}
