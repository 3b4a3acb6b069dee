import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { SettingField } from "../components/setting-field.js";
import { StatusMessage } from "../components/status-message.js";
import { isRootLevel, type Session, type Setting } from "../types.js";
import { useLoad } from "../use-load.js";

const SECURITY = "allow_deprecated_accesshash";

/** Root's Tweak Settings: the access-hash switch and cPHulk's brute-force limits. */
export function TweakSettingsPage({ session }: { session: Session }) {
  const settings = useLoad(() => api<Setting[]>("GET", "/settings"), []);
  const [values, setValues] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (settings.data !== null) setValues(Object.fromEntries(settings.data.map((setting) => [setting.key, String(setting.value)])));
  }, [settings.data]);

  async function save(event: Event): Promise<void> {
    event.preventDefault();
    const changed = (settings.data ?? []).filter((setting) => values[setting.key] !== String(setting.value));
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
  const field = (setting: Setting) => <SettingField key={setting.key} setting={setting} value={values[setting.key] ?? ""} onChange={(value) => setValues({ ...values, [setting.key]: value })} />;
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
            <p class="hint">Failed logins from any way in (passwords, tokens, access hashes) count. A blocked address gets HTTP 429 with Retry-After.</p>
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
    </>
  );
}
