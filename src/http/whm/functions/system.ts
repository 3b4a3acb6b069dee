import { loadavg } from "node:os";
import { KEYHOLD_VERSION, WHM_COMPATIBLE_VERSION } from "../../../version.js";
import type { WhmFunction } from "../function.js";

export const version: WhmFunction = {
  name: "version",
  async run() {
    return { data: { version: WHM_COMPATIBLE_VERSION, keyhold: KEYHOLD_VERSION } };
  },
};

/** WHM's loadavg answers at the top level too; cPanel::PublicAPI's token test reads `one` there. */
export const loadavgFunction: WhmFunction = {
  name: "loadavg",
  async run() {
    const [one = 0, five = 0, fifteen = 0] = loadavg();
    const averages = { one: one.toFixed(2), five: five.toFixed(2), fifteen: fifteen.toFixed(2) };
    return { data: averages, topLevel: averages };
  },
};

export const myprivs: WhmFunction = {
  name: "myprivs",
  async run({ identity }) {
    return { data: { privileges: [identity.acls.toFlagMap()] } };
  },
};

export function applist(names: () => readonly string[]): WhmFunction {
  return {
    name: "applist",
    async run() {
      return { data: { app: [...names()].sort() } };
    },
  };
}
