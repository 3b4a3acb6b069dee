import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { SecretOnce } from "../components/secret-once.js";
import { StatusMessage } from "../components/status-message.js";
import { TokenForm } from "../components/token-form.js";
import { TokenTable } from "../components/token-table.js";
import type { CreatedToken, Session, Token } from "../types.js";
import { useCatalogue } from "../use-catalogue.js";
import { useLoad } from "../use-load.js";

/** WHM's Manage API Tokens, for the logged-in account's own tokens. */
export function TokensPage({ session }: { session: Session }) {
  const tokens = useLoad(() => api<Token[]>("GET", "/tokens"), []);
  const catalogue = useCatalogue();
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [editing, setEditing] = useState<Token | null>(null);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A new key after each creation gives the next token a blank form.
  const [createCount, setCreateCount] = useState(0);

  async function revoke(token: Token): Promise<void> {
    setRevoking(null);
    setError(null);
    try {
      await api("DELETE", `/tokens/${encodeURIComponent(token.name)}`);
      setStatus(`The API token “${token.name}” is revoked; it no longer works.`);
    } catch (failure) {
      setError(errorText(failure));
    }
    tokens.reload();
  }

  return (
    <>
      <PageTitle>Manage API Tokens</PageTitle>
      <p class="lead">
        API tokens authenticate scripts and billing systems against the WHM API (<code>Authorization: whm {session.user}:TOKEN</code>) and the REST API. Give each system its own token, with only the privileges and addresses it needs.
      </p>
      {created === null ? null : (
        <SecretOnce title={`API token “${created.name}” created`} label="Your new API token" secret={created.token} onDismiss={() => setCreated(null)}>
          <p class="hint">
            Send it as <code>Authorization: whm {session.user}:&lt;token&gt;</code>.
          </p>
        </SecretOnce>
      )}
      <StatusMessage message={status} />
      <ErrorMessage message={error ?? tokens.error ?? catalogue.error} />
      <section aria-labelledby="tokens-list">
        <h2 id="tokens-list">Your tokens</h2>
        {tokens.data === null ? (tokens.loading ? <p aria-busy="true">Loading…</p> : null) : <TokenTable tokens={tokens.data} onEdit={(token) => { setEditing(token); setStatus(null); }} onRevoke={setRevoking} />}
      </section>
      {catalogue.data === null ? null : editing === null ? (
        <section aria-labelledby="token-create">
          <h2 id="token-create">Create an API token</h2>
          <TokenForm
            key={`create-${createCount}`}
            session={session}
            catalogue={catalogue.data}
            onSaved={(token) => {
              setCreated(token as CreatedToken);
              setCreateCount((count) => count + 1);
              setStatus(null);
              tokens.reload();
            }}
          />
        </section>
      ) : (
        <section aria-labelledby="token-edit">
          <h2 id="token-edit">Edit “{editing.name}”</h2>
          <TokenForm
            key={editing.name}
            session={session}
            catalogue={catalogue.data}
            token={editing}
            onCancel={() => setEditing(null)}
            onSaved={(token) => {
              setEditing(null);
              setStatus(`Saved the API token “${token.name}”.`);
              tokens.reload();
            }}
          />
        </section>
      )}
      {revoking === null ? null : (
        <ConfirmDialog title={`Revoke “${revoking.name}”?`} confirmLabel="Revoke token" onCancel={() => setRevoking(null)} onConfirm={() => void revoke(revoking)}>
          <p>The token stops working at once: every system that uses it will be refused. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
