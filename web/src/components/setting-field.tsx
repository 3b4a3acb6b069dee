import { useId } from "preact/hooks";
import type { Setting } from "../types.js";

// The API does not say which settings are switches; these are WHM's and cPHulk's on/off ones.
const SWITCHES: ReadonlySet<string> = new Set(["allow_deprecated_accesshash", "ip_based_protection", "username_based_protection"]);

interface Props {
  readonly setting: Setting;
  readonly value: string;
  readonly onChange: (value: string) => void;
}

/** One Tweak Setting: a checkbox for a switch, a number field otherwise, with its help text. */
export function SettingField({ setting, value, onChange }: Props) {
  const id = useId();
  const helpId = useId();
  const help = (
    <p class="hint" id={helpId}>
      {setting.help} <span class="muted">(<code>{setting.key}</code>, default {setting.default})</span>
    </p>
  );
  if (SWITCHES.has(setting.key)) {
    return (
      <div class="field">
        <div class="check">
          <input id={id} type="checkbox" checked={value === "1"} aria-describedby={helpId} onChange={(event) => onChange(event.currentTarget.checked ? "1" : "0")} />
          <label for={id}>{setting.label}</label>
        </div>
        {help}
      </div>
    );
  }
  // Each setting's own range is the API's to enforce (some, like a retention of 0 days, allow 0):
  // a browser-side minimum above a stored value would silently block the whole form.
  return (
    <div class="field">
      <label for={id}>{setting.label}</label>
      <input id={id} type="number" inputMode="numeric" min={0} step={1} value={value} aria-describedby={helpId} onInput={(event) => onChange(event.currentTarget.value)} />
      {help}
    </div>
  );
}
