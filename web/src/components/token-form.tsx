import { useId, useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { localFromSeconds, secondsFromLocal, splitList } from "../format.js";
import { holds, type AclCatalogue, type CreatedToken, type Session, type Token } from "../types.js";
import { AclPicker } from "./acl-picker.js";
import { ErrorMessage } from "./error-message.js";
import { ExpiryField } from "./expiry-field.js";

interface Props {
  readonly session: Session;
  readonly catalogue: AclCatalogue;
  /** The token to edit; absent to create one. */
  readonly token?: Token;
  readonly onSaved: (token: Token | CreatedToken) => void;
  readonly onCancel?: () => void;
}

/** Create or edit an API token: name, privileges, expiry and IP whitelist. */
export function TokenForm({ session, catalogue, token, onSaved, onCancel }: Props) {
  const [name, setName] = useState(token?.name ?? "");
  const [full, setFull] = useState(token === undefined ? false : token.full_access);
  const [acls, setAcls] = useState<Set<string>>(new Set(token?.acls ?? []));
  const [expires, setExpires] = useState(localFromSeconds(token?.expires_at ?? null));
  const [ips, setIps] = useState((token?.whitelist_ips ?? []).join("\n"));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { name: useId(), nameHint: useId(), ips: useId(), ipsHint: useId(), access: useId() };
  const initialExpires = localFromSeconds(token?.expires_at ?? null);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    // An empty list means full access to the API; say so rather than grant it by surprise.
    if (!full && acls.size === 0) {
      setError("Choose at least one privilege, or choose full access.");
      return;
    }
    const body = {
      acls: full ? [] : [...acls].sort(),
      whitelist_ips: splitList(ips),
    };
    setBusy(true);
    setError(null);
    try {
      if (token === undefined) {
        const expiresAt = secondsFromLocal(expires);
        onSaved(await api<CreatedToken>("POST", "/tokens", { name, ...body, ...(expiresAt === null ? {} : { expires_at: expiresAt }) }));
      } else {
        const changes = {
          ...body,
          ...(name === token.name ? {} : { new_name: name }),
          // Resending an unchanged past expiry would be refused as "not a future date".
          ...(expires === initialExpires ? {} : { expires_at: secondsFromLocal(expires) ?? 0 }),
        };
        onSaved(await api<Token>("PUT", `/tokens/${encodeURIComponent(token.name)}`, changes));
      }
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-label={token === undefined ? "Create an API token" : `Edit the API token ${token.name}`}>
      <div class="field">
        <label for={ids.name}>Token name</label>
        <input id={ids.name} required maxLength={50} value={name} aria-describedby={ids.nameHint} autocomplete="off" onInput={(event) => setName(event.currentTarget.value)} />
        <p class="hint" id={ids.nameHint}>
          Up to 50 letters, digits, “_” and “-”; unique among your tokens.
        </p>
      </div>
      <fieldset class="field">
        <legend>Privileges</legend>
        <div class="check">
          <input type="radio" id={`${ids.access}-full`} name={ids.access} checked={full} onChange={() => setFull(true)} />
          <label for={`${ids.access}-full`}>Full access: everything your account may do, now and later</label>
        </div>
        <div class="check">
          <input type="radio" id={`${ids.access}-limited`} name={ids.access} checked={!full} onChange={() => setFull(false)} />
          <label for={`${ids.access}-limited`}>Only the privileges chosen below</label>
        </div>
        {full ? null : <AclPicker catalogue={catalogue} selected={acls} onChange={setAcls} grantable={(acl) => holds(session, acl)} warn={new Set(catalogue.token_escalation)} />}
      </fieldset>
      <ExpiryField value={expires} onChange={setExpires} />
      <div class="field">
        <label for={ids.ips}>IP whitelist</label>
        <textarea id={ids.ips} rows={3} value={ips} aria-describedby={ids.ipsHint} class="mono" onInput={(event) => setIps(event.currentTarget.value)} />
        <p class="hint" id={ids.ipsHint}>
          Addresses or CIDR ranges (IPv4 or IPv6), one per line, up to 100. Leave empty to allow any address.
        </p>
      </div>
      <ErrorMessage message={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {token === undefined ? "Create token" : "Save changes"}
        </button>
        {onCancel === undefined ? null : (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
