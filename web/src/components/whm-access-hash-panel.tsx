import { useState } from "preact/hooks";
import { ApiError, api, errorText } from "../api.js";
import { href } from "../route.js";
import type { Conversion, WhmAccessHash } from "../types.js";
import { useLoad } from "../use-load.js";
import { ConfirmDialog } from "./confirm-dialog.js";
import { DeprecationBanner } from "./deprecation-banner.js";
import { ErrorMessage } from "./error-message.js";
import { StatusMessage } from "./status-message.js";
import { WhmAccessHashView } from "./whm-access-hash-view.js";

async function readKey(user: string): Promise<WhmAccessHash | null> {
  try {
    return await api<WhmAccessHash>("GET", `/accounts/${encodeURIComponent(user)}/accesshash`);
  } catch (error) {
    // No key yet is a normal state of the page, not an error.
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/** The account's access hash, its regeneration and its conversion to a token. */
export function WhmAccessHashPanel({ user }: { user: string }) {
  const key = useLoad(() => readKey(user), [user]);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [converted, setConverted] = useState<Conversion | null>(null);
  const [generated, setGenerated] = useState<string | null>(null);

  async function run(action: () => Promise<unknown>): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setBusy(false);
    }
  }

  const generate = (): Promise<void> =>
    run(async () => {
      setConfirming(false);
      setConverted(null);
      setGenerated(null);
      const replaced = key.data !== null;
      await api<WhmAccessHash>("POST", `/accounts/${encodeURIComponent(user)}/accesshash`);
      key.reload();
      setGenerated(
        replaced
          ? `Generated a new Remote Access Key for ${user}. The old key no longer works: give this one to every system that used it.`
          : `Generated a new Remote Access Key for ${user}.`,
      );
    });

  const convert = (): Promise<void> =>
    run(async () => {
      setGenerated(null);
      setConverted(await api<Conversion>("POST", `/accounts/${encodeURIComponent(user)}/accesshash/convert`));
    });

  if (key.data === null && key.loading) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      {key.data === null ? null : <DeprecationBanner onConvert={() => void convert()} converting={busy} />}
      {converted === null ? null : (
        <p class="message ok" role="status">
          {converted.already_converted
            ? `This key was already converted, as the API token “${converted.token.name}”; it was left as it is.`
            : `Converted: the full-access API token “${converted.token.name}” now accepts this key, whatever the access-hash setting says.`}{" "}
          <a href={href("tokens")}>Narrow it on Manage API Tokens</a>.
        </p>
      )}
      <StatusMessage message={generated} />
      <ErrorMessage message={error ?? key.error} />
      {key.data === null ? (
        key.error === null ? <p>{user} has no Remote Access Key yet.</p> : null
      ) : (
        <WhmAccessHashView accessKey={key.data} />
      )}
      <div class="actions">
        <button type="button" class="danger" disabled={busy} onClick={() => (key.data === null ? void generate() : setConfirming(true))}>
          Generate New Key
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog title="Generate a new Remote Access Key?" confirmLabel="Generate New Key" onCancel={() => setConfirming(false)} onConfirm={() => void generate()}>
          <p>
            The current key stops working the moment the new one is made. <strong>Every system that uses the old key will stop working</strong>: billing software, DNS cluster peers, scripts. Each must be given the new key.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
