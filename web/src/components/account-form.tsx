import { useId, useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import type { Account } from "../types.js";
import { ErrorMessage } from "./error-message.js";

/** createacct: a cPanel user, or (root only) a reseller or an account owned by a reseller. */
export function AccountForm({ rootLevel, onCreated }: { rootLevel: boolean; onCreated: (account: Account) => void }) {
  const [username, setUsername] = useState("");
  const [domain, setDomain] = useState("");
  const [password, setPassword] = useState("");
  const [reseller, setReseller] = useState(false);
  const [owner, setOwner] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { username: useId(), domain: useId(), password: useId(), passwordHint: useId(), reseller: useId(), owner: useId() };

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const account = await api<Account>("POST", "/accounts", {
        username: username.trim(),
        domain: domain.trim(),
        ...(password === "" ? {} : { password }),
        ...(reseller ? { reseller: true } : {}),
        ...(owner.trim() === "" ? {} : { owner: owner.trim() }),
      });
      setUsername("");
      setDomain("");
      setPassword("");
      setReseller(false);
      setOwner("");
      onCreated(account);
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-label="Create an account">
      <div class="field">
        <label for={ids.username}>Username</label>
        <input id={ids.username} required maxLength={16} autocomplete="off" value={username} onInput={(event) => setUsername(event.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={ids.domain}>Domain</label>
        <input id={ids.domain} required maxLength={253} autocomplete="off" value={domain} onInput={(event) => setDomain(event.currentTarget.value)} />
      </div>
      <div class="field">
        <label for={ids.password}>Password</label>
        <input id={ids.password} type="password" autocomplete="new-password" value={password} aria-describedby={ids.passwordHint} onInput={(event) => setPassword(event.currentTarget.value)} />
        <p class="hint" id={ids.passwordHint}>
          Optional: an account without a password logs in with its tokens only.
        </p>
      </div>
      {rootLevel ? (
        <>
          <div class="field check">
            <input id={ids.reseller} type="checkbox" checked={reseller} onChange={(event) => setReseller(event.currentTarget.checked)} />
            <label for={ids.reseller}>Make it a reseller (with WHM's initial privileges)</label>
          </div>
          <div class="field">
            <label for={ids.owner}>Owner</label>
            <input id={ids.owner} autocomplete="off" placeholder="root" value={owner} onInput={(event) => setOwner(event.currentTarget.value)} />
          </div>
        </>
      ) : null}
      <ErrorMessage message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Create account
        </button>
      </div>
    </form>
  );
}
