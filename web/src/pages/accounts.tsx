import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { AccountForm } from "../components/account-form.js";
import { AccountTable } from "../components/account-table.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { ResellerAclsForm } from "../components/reseller-acls-form.js";
import { StatusMessage } from "../components/status-message.js";
import { holds, isRootLevel, type Account, type Session } from "../types.js";
import { useCatalogue } from "../use-catalogue.js";
import { useLoad } from "../use-load.js";

/** Root sees every account, a reseller its own; what each may do follows its privileges. */
export function AccountsPage({ session }: { session: Session }) {
  const canList = holds(session, "list-accts");
  const accounts = useLoad(() => (canList ? api<Account[]>("GET", "/accounts") : Promise.resolve([])), [canList]);
  const catalogue = useCatalogue();
  const [editing, setEditing] = useState<Account | null>(null);
  const [removing, setRemoving] = useState<Account | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rootLevel = isRootLevel(session);

  async function remove(account: Account): Promise<void> {
    setRemoving(null);
    setError(null);
    try {
      await api("DELETE", `/accounts/${encodeURIComponent(account.user)}`);
      setStatus(`${account.user} account removed, with its tokens, access hashes and sessions.`);
    } catch (failure) {
      setError(errorText(failure));
    }
    accounts.reload();
  }

  return (
    <>
      <PageTitle>Accounts</PageTitle>
      {!canList ? <p class="card unavailable">Listing accounts needs the <code>list-accts</code> privilege, which your account does not have.</p> : null}
      <StatusMessage message={status} />
      <ErrorMessage message={error ?? accounts.error} />
      {canList && accounts.data !== null ? (
        <section aria-labelledby="accounts-list">
          <h2 id="accounts-list">{rootLevel ? "All accounts" : "Your accounts"}</h2>
          <AccountTable
            accounts={accounts.data}
            canEditPrivileges={rootLevel}
            canRemove={(account) => holds(session, "kill-acct") && account.role !== "root" && account.user !== session.user}
            onEditPrivileges={(account) => {
              setEditing(account);
              setStatus(null);
            }}
            onRemove={setRemoving}
          />
        </section>
      ) : null}
      {editing !== null && catalogue.data !== null ? (
        <section aria-labelledby="account-acls">
          <h2 id="account-acls">Privileges of {editing.user}</h2>
          <ResellerAclsForm
            key={editing.user}
            account={editing}
            catalogue={catalogue.data}
            onCancel={() => setEditing(null)}
            onSaved={(account) => {
              setEditing(null);
              setStatus(`Saved the privileges of ${account.user}.`);
              accounts.reload();
            }}
          />
        </section>
      ) : null}
      {holds(session, "create-acct") ? (
        <section aria-labelledby="account-create">
          <h2 id="account-create">Create an account</h2>
          <AccountForm
            rootLevel={rootLevel}
            onCreated={(account) => {
              setStatus(`Created the ${account.role === "reseller" ? "reseller" : "account"} ${account.user}.`);
              accounts.reload();
            }}
          />
        </section>
      ) : null}
      {removing === null ? null : (
        <ConfirmDialog title={`Remove ${removing.user}?`} confirmLabel="Remove account" onCancel={() => setRemoving(null)} onConfirm={() => void remove(removing)}>
          <p>The account is deleted with its API tokens, access hashes and sessions; everything that logs in as {removing.user} stops working. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
