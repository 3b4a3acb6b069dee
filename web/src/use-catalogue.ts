import { api } from "./api.js";
import type { AclCatalogue } from "./types.js";
import { useLoad, type Loaded } from "./use-load.js";

let cached: Promise<AclCatalogue> | null = null;

/** The privilege catalogue; it never changes while the server runs, so it is fetched once. */
export function useCatalogue(): Loaded<AclCatalogue> {
  return useLoad(() => {
    cached ??= api<AclCatalogue>("GET", "/acls").catch((error: unknown) => {
      cached = null;
      throw error;
    });
    return cached;
  }, []);
}
