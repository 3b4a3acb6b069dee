const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** Unix seconds (or milliseconds with `unit`) as local date and time; null as the given word. */
export function when(time: number | null, never = "Never", unit: "s" | "ms" = "s"): string {
  if (time === null) return never;
  return dateTime.format(new Date(unit === "s" ? time * 1000 : time));
}

/** A `datetime-local` field's value as Unix seconds; empty means none. */
export function secondsFromLocal(value: string): number | null {
  if (value.trim() === "") return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** Milliseconds, for the audit log's filters. */
export function millisecondsFromLocal(value: string): number | undefined {
  const seconds = secondsFromLocal(value);
  return seconds === null ? undefined : seconds * 1000;
}

/** Unix seconds as a `datetime-local` value in the browser's time zone. */
export function localFromSeconds(seconds: number | null): string {
  if (seconds === null) return "";
  const date = new Date(seconds * 1000);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** One entry per line or comma; blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}
