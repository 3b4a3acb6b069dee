import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorMessage } from "../components/error-message.js";
import { IpAccessHashForm } from "../components/ip-access-hash-form.js";
import { IpAccessHashTable } from "../components/ip-access-hash-table.js";
import { PageTitle } from "../components/page-title.js";
import { SecretOnce } from "../components/secret-once.js";
import { StatusMessage } from "../components/status-message.js";
import { holds, isRootLevel, type CreatedIpAccessHash, type IpAccessHash, type Session } from "../types.js";
import { useLoad } from "../use-load.js";

/** PUQ's Settings → API: access hashes that work from one address or range only. */
export function IpAccessHashesPage({ session }: { session: Session }) {
  const allowed = holds(session, "manage-api-tokens");
  const hashes = useLoad(() => (allowed ? api<IpAccessHash[]>("GET", "/access_hashes") : Promise.resolve([])), [allowed]);
  const [created, setCreated] = useState<CreatedIpAccessHash | null>(null);
  const [deleting, setDeleting] = useState<IpAccessHash | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function remove(hash: IpAccessHash): Promise<void> {
    setDeleting(null);
    setError(null);
    try {
      await api("DELETE", `/access_hashes/${encodeURIComponent(hash.id)}`);
      setStatus(`The access hash “${hash.name}” is deleted; it no longer works.`);
    } catch (failure) {
      setError(errorText(failure));
    }
    hashes.reload();
  }

  return (
    <>
      <PageTitle>Settings → API</PageTitle>
      <p class="lead">
        API access hashes authenticate against the REST API at <code>/api/v1/</code>, sent as the cookie <code>access_hash</code> or as <code>Authorization: Bearer</code>. Each works only from one IP address or range.
      </p>
      {!allowed ? (
        <p class="card unavailable">Managing API access hashes needs the <code>manage-api-tokens</code> privilege, which your account does not have.</p>
      ) : (
        <>
          {created === null ? null : (
            <SecretOnce title={`Access hash “${created.name}” created`} label="Your new API access hash" secret={created.access_hash} onDismiss={() => setCreated(null)}>
              <p class="hint">
                It works only from <span class="mono">{created.ip}</span>, for the account {created.user}. Example: <code>curl -b "access_hash=&lt;hash&gt;" {window.location.origin}/api/v1/system/status</code>
              </p>
            </SecretOnce>
          )}
          <StatusMessage message={status} />
          <ErrorMessage message={error ?? hashes.error} />
          <section aria-labelledby="hashes-list">
            <h2 id="hashes-list">Access hashes</h2>
            {hashes.data === null ? null : <IpAccessHashTable hashes={hashes.data} onDelete={setDeleting} />}
          </section>
          <section aria-labelledby="hash-create">
            <h2 id="hash-create">Create an access hash</h2>
            <IpAccessHashForm
              canChooseAccount={isRootLevel(session) || session.role === "reseller"}
              onCreated={(hash) => {
                setCreated(hash);
                setStatus(null);
                hashes.reload();
              }}
            />
          </section>
          {deleting === null ? null : (
            <ConfirmDialog title={`Delete “${deleting.name}”?`} confirmLabel="Delete access hash" onCancel={() => setDeleting(null)} onConfirm={() => void remove(deleting)}>
              <p>Anything that uses this access hash is refused from its next request. This cannot be undone.</p>
            </ConfirmDialog>
          )}
        </>
      )}
    </>
  );
}
