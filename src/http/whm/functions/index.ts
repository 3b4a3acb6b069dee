import type { WhmFunction } from "../function.js";
import { accesshash } from "./accesshash.js";
import {
  createacct,
  listaccts,
  listresellers,
  passwd,
  removeacct,
  setacls,
  setupreseller,
  suspendacct,
  unsetupreseller,
  unsuspendacct,
} from "./accounts.js";
import { getTweaksetting, setTweaksetting } from "./settings.js";
import { applist, loadavgFunction, myprivs, version } from "./system.js";
import { apiTokenCreate, apiTokenGetDetails, apiTokenList, apiTokenRevoke, apiTokenUpdate } from "./tokens.js";

/** Every WHM API 1 function Keyhold answers, by name. */
export const WHM_FUNCTIONS: ReadonlyMap<string, WhmFunction> = new Map(
  [
    accesshash,
    createacct,
    removeacct,
    listaccts,
    setupreseller,
    unsetupreseller,
    listresellers,
    setacls,
    suspendacct,
    unsuspendacct,
    passwd,
    myprivs,
    version,
    loadavgFunction,
    getTweaksetting,
    setTweaksetting,
    apiTokenCreate,
    apiTokenList,
    apiTokenGetDetails,
    apiTokenUpdate,
    apiTokenRevoke,
    applist(() => [...WHM_FUNCTIONS.keys()]),
  ].map((fn) => [fn.name, fn]),
);
