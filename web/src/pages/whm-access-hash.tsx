import { api } from "../api.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { WhmAccessHashPanel } from "../components/whm-access-hash-panel.js";
import { href } from "../route.js";
import { holds, isRootLevel, type Session, type Setting } from "../types.js";
import { useLoad } from "../use-load.js";

const SETTING = "allow_deprecated_accesshash";

/** WHM's Remote Access Key page: shown, as in WHM, only with the setting on and `manage-api-tokens`. */
export function WhmAccessHashPage({ session }: { session: Session }) {
  const settings = useLoad(() => api<Setting[]>("GET", "/settings"), []);
  const enabled = settings.data?.find((setting) => setting.key === SETTING)?.value === 1;
  return (
    <>
      <PageTitle>Remote Access Key</PageTitle>
      {!holds(session, "manage-api-tokens") ? (
        <div class="card unavailable">
          <h2>Not available to {session.user}</h2>
          <p>
            This page needs the <code>manage-api-tokens</code> privilege, which your account does not have. Ask root to grant it under Accounts → Privileges.
          </p>
        </div>
      ) : settings.data === null ? (
        settings.error === null ? <p aria-busy="true">Loading…</p> : <ErrorMessage message={settings.error} />
      ) : !enabled ? (
        <div class="card unavailable">
          <h2>Access hashes are turned off</h2>
          <p>
            Remote Access Keys (access hashes) are deprecated, and Keyhold, like WHM, neither shows nor accepts them while the setting <strong>Allow deprecated WHM accesshash authentication</strong> (
            <code>{SETTING}</code>) is off. Prefer <a href={href("tokens")}>API tokens</a>.
          </p>
          {isRootLevel(session) ? (
            <p>
              A system that only speaks access hashes still needs it? Turn the setting on in <a href={href("tweak-settings")}>Tweak Settings</a>, or run <code>keyhold settings set {SETTING} 1</code>.
            </p>
          ) : (
            <p>Only root can turn it on, in Tweak Settings.</p>
          )}
        </div>
      ) : (
        <WhmAccessHashPanel user={session.user} />
      )}
    </>
  );
}
