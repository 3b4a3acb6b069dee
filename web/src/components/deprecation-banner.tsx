import { href } from "../route.js";

/** Why access hashes are on their way out, and the two ways forward. */
export function DeprecationBanner({ onConvert, converting }: { onConvert: () => void; converting: boolean }) {
  return (
    <aside class="banner" aria-label="Access hashes are deprecated">
      <p>
        <strong>Access hashes are deprecated</strong> (since cPanel &amp; WHM 64). A Remote Access Key carries every privilege of its account, works from any address and never expires. Use{" "}
        <a href={href("tokens")}>API tokens</a> instead: named, limited to the privileges and addresses a system needs, with an expiry, and revocable one by one.
      </p>
      <p>
        <button type="button" onClick={onConvert} disabled={converting}>
          Convert to API token
        </button>{" "}
        <span class="hint">Makes a full-access API token whose value is this key, so systems using it keep working after access hashes are turned off. Then narrow it on the tokens page.</span>
      </p>
    </aside>
  );
}
