import { useEffect, useId, useState } from "preact/hooks";
import { ApiError, api, errorText, setSecurityToken } from "../api.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import type { Session } from "../types.js";

/**
 * Password login through the REST API, which applies the same brute-force rules as every other
 * way in: after too many failures it answers 429, and the form waits out the Retry-After.
 */
export function LoginPage({ notice, onLogin }: { notice: string | null; onLogin: (session: Session) => void }) {
  const [user, setUser] = useState("");
  const [pass, setPass] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [blockedUntil, setBlockedUntil] = useState(0);
  const [busy, setBusy] = useState(false);
  const ids = { user: useId(), pass: useId() };

  useEffect(() => {
    const wait = blockedUntil - Date.now();
    if (wait <= 0) return;
    const timer = setTimeout(() => setBlockedUntil(0), wait);
    return () => clearTimeout(timer);
  }, [blockedUntil]);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api<Session & { security_token: string }>("POST", "/session", { user, pass }, { anonymous: true });
      setSecurityToken(session.security_token);
      setPass("");
      onLogin(session);
    } catch (failure) {
      setError(errorText(failure));
      if (failure instanceof ApiError && failure.status === 429 && failure.retryAfterSeconds !== null) setBlockedUntil(Date.now() + failure.retryAfterSeconds * 1000);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="content" class="login">
      <PageTitle>Log in to Keyhold</PageTitle>
      {notice === null ? null : (
        <p class="message" role="status">
          {notice}
        </p>
      )}
      <form class="card" onSubmit={submit} aria-label="Log in">
        <div class="field">
          <label for={ids.user}>Username</label>
          <input id={ids.user} required autocomplete="username" autocapitalize="none" spellcheck={false} value={user} onInput={(event) => setUser(event.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={ids.pass}>Password</label>
          <input id={ids.pass} type="password" required autocomplete="current-password" value={pass} onInput={(event) => setPass(event.currentTarget.value)} />
        </div>
        <ErrorMessage message={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || blockedUntil > 0}>
            Log in
          </button>
        </div>
      </form>
      <p class="hint">Root and resellers log in with their WHM password. Accounts without a password use API tokens only.</p>
    </main>
  );
}
