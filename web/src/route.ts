import { useEffect, useState } from "preact/hooks";

export type PageId = "tokens" | "remote-access-key" | "access-hashes" | "tweak-settings" | "accounts" | "audit";

export const PAGE_IDS: readonly PageId[] = ["tokens", "remote-access-key", "access-hashes", "tweak-settings", "accounts", "audit"];

export const DEFAULT_PAGE: PageId = "tokens";

export function href(page: PageId): string {
  return `#/${page}`;
}

function current(): PageId | null {
  const id = window.location.hash.replace(/^#\/?/, "");
  return (PAGE_IDS as readonly string[]).includes(id) ? (id as PageId) : null;
}

/** The page named by the URL's hash (links and Back work without a server-side route). */
export function useRoute(): PageId | null {
  const [page, setPage] = useState(current);
  useEffect(() => {
    const update = (): void => setPage(current());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return page;
}
