import { useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import type { Account, AclCatalogue } from "../types.js";
import { AclPicker } from "./acl-picker.js";
import { ErrorMessage } from "./error-message.js";

interface Props {
  readonly account: Account;
  readonly catalogue: AclCatalogue;
  readonly onSaved: (account: Account) => void;
  readonly onCancel: () => void;
}

/** setacls: replaces a reseller's privileges; its tokens shrink with them. */
export function ResellerAclsForm({ account, catalogue, onSaved, onCancel }: Props) {
  const [acls, setAcls] = useState<Set<string>>(new Set(account.acls));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await api<Account>("PUT", `/accounts/${encodeURIComponent(account.user)}`, { acls: [...acls].sort() }));
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-label={`Privileges of ${account.user}`}>
      <p class="hint">Taking a privilege away also takes it from every API token of {account.user}, from the next request on.</p>
      <AclPicker catalogue={catalogue} selected={acls} onChange={setAcls} grantable={() => true} includeRoot />
      <ErrorMessage message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save privileges
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
