import { useEffect, useId, useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { BruteForceBlocks } from "../components/brute-force-blocks.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { SettingField } from "../components/setting-field.js";
import { StatusMessage } from "../components/status-message.js";
import { isRootLevel, type Session, type Setting } from "../types.js";
import { useLoad } from "../use-load.js";

const SECURITY = "allow_deprecated_accesshash";

/** The form's text for a setting: an address list one entry a line, anything else as the API gives it. */
function formText(setting: Setting): string {
  return setting.type === "address-list" ? entries(String(setting.value)).join("\n") : String(setting.value);
}

// The API takes entries separated by commas, spaces or new lines, and answers them comma-separated.
function entries(text: string): string[] {
  return text.split(/[\s,]+/).filter((entry) => entry !== "");
}

function isChanged(setting: Setting, text: string): boolean {
  return setting.type === "address-list" ? entries(text).join(",") !== entries(String(setting.value)).join(",") : text !== String(setting.value);
}

/** An address list (trusted_ips), edited one entry a line. */
function AddressListField({ setting, value, onChange }: { setting: Setting; value: string; onChange: (value: string) => void }) {
  const id = useId();
  const helpId = useId();
  return (
    <div class="field">
      <label for={id}>{setting.label}</label>
      <textarea id={id} class="mono" rows={4} spellcheck={false} value={value} aria-describedby={helpId} onInput={(event) => onChange(event.currentTarget.value)} />
      <p class="hint" id={helpId}>
        {setting.help} <span class="muted">(<code>{setting.key}</code>, one address or CIDR range a line)</span>
      </p>
    </div>
  );
}

/** Root's Tweak Settings: the access-hash switch, cPHulk's brute-force limits and trusted list, and the current blocks. */
export function TweakSettingsPage({ session }: { session: Session }) {
  const settings = useLoad(() => api<Setting[]>("GET", "/settings"), []);
  const [values, setValues] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (settings.data !== null) setValues(Object.fromEntries(settings.data.map((setting) => [setting.key, formText(setting)])));
  }, [settings.data]);

  async function save(event: Event): Promise<void> {
    event.preventDefault();
    const changed = (settings.data ?? []).filter((setting) => isChanged(setting, values[setting.key] ?? ""));
    setBusy(true);
    setError(null);
    setStatus(null);
    let saved = 0;
    try {
      // One PUT per setting: a refused value stops there and names itself, the ones before it stay saved.
      for (const setting of changed) {
        await api<Setting>("PUT", `/settings/${encodeURIComponent(setting.key)}`, { value: values[setting.key] ?? "" });
        saved++;
      }
      setStatus(saved === 0 ? "Nothing changed." : `Saved ${saved} setting${saved === 1 ? "" : "s"}.`);
    } catch (failure) {
      setError(saved === 0 ? errorText(failure) : `${errorText(failure)} (${saved} earlier change${saved === 1 ? " was" : "s were"} saved.)`);
    } finally {
      setBusy(false);
      settings.reload();
    }
  }

  if (!isRootLevel(session)) {
    return (
      <>
        <PageTitle>Tweak Settings</PageTitle>
        <p class="card unavailable">Only root can change Tweak Settings.</p>
      </>
    );
  }
  const field = (setting: Setting) => {
    const onChange = (value: string) => setValues({ ...values, [setting.key]: value });
    if (setting.type === "address-list") return <AddressListField key={setting.key} setting={setting} value={values[setting.key] ?? ""} onChange={onChange} />;
    return <SettingField key={setting.key} setting={setting} value={values[setting.key] ?? ""} onChange={onChange} />;
  };
  const all = settings.data ?? [];
  return (
    <>
      <PageTitle>Tweak Settings</PageTitle>
      <ErrorMessage message={settings.error} />
      {settings.data === null ? null : (
        <form class="card" onSubmit={save} aria-label="Tweak Settings">
          <fieldset>
            <legend>Security</legend>
            {all.filter((setting) => setting.key === SECURITY).map(field)}
          </fieldset>
          <fieldset>
            <legend>Brute-force protection</legend>
            <p class="hint">
              Guesses from any way in (passwords, tokens, access hashes that match nothing) count; a real credential refused by policy (expired, access hashes off) does not. A blocked
              address gets HTTP 429 with Retry-After; lift a block below.
            </p>
            {all.filter((setting) => setting.key !== SECURITY).map(field)}
          </fieldset>
          <ErrorMessage message={error} />
          <StatusMessage message={status} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Save
            </button>
          </div>
        </form>
      )}
      <BruteForceBlocks />
    </>
  );
}
