import { useId, useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { secondsFromLocal } from "../format.js";
import type { CreatedIpAccessHash } from "../types.js";
import { ErrorMessage } from "./error-message.js";
import { ExpiryField } from "./expiry-field.js";

/** A new IP-bound access hash: name, the one address or range it works from, expiry, account. */
export function IpAccessHashForm({ canChooseAccount, onCreated }: { canChooseAccount: boolean; onCreated: (created: CreatedIpAccessHash) => void }) {
  const [name, setName] = useState("");
  const [ip, setIp] = useState("");
  const [expires, setExpires] = useState("");
  const [user, setUser] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), ip: useId(), ipHint: useId(), user: useId(), userHint: useId() };

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const expiresAt = secondsFromLocal(expires);
      const created = await api<CreatedIpAccessHash>("POST", "/access_hashes", {
        name,
        ip: ip.trim(),
        ...(expiresAt === null ? {} : { expires_at: expiresAt }),
        ...(user.trim() === "" ? {} : { user: user.trim() }),
      });
      setName("");
      setIp("");
      setExpires("");
      setUser("");
      onCreated(created);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-label="Create an API access hash">
      <div class="field">
        <label for={ids.name}>Name</label>
        <input id={ids.name} required maxLength={100} value={name} autocomplete="off" onInput={(event) => setName(event.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={ids.ip}>IP address or range</label>
        <input id={ids.ip} required maxLength={64} class="mono" value={ip} aria-describedby={ids.ipHint} placeholder="203.0.113.10" onInput={(event) => setIp(event.currentTarget.value)} />
        <p class="hint" id={ids.ipHint}>
          The hash works only from this IPv4 or IPv6 address, or from this CIDR range (e.g. 203.0.113.0/24).
        </p>
      </div>
      <ExpiryField value={expires} onChange={setExpires} />
      {canChooseAccount ? (
        <div class="field">
          <label for={ids.user}>Account</label>
          <input id={ids.user} value={user} autocomplete="off" aria-describedby={ids.userHint} onInput={(event) => setUser(event.currentTarget.value)} />
          <p class="hint" id={ids.userHint}>
            The account it authenticates as. Leave empty for your own.
          </p>
        </div>
      ) : null}
      <ErrorMessage message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Create access hash
        </button>
      </div>
    </form>
  );
}
