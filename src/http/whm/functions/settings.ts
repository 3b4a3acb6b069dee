import { requireRootLevel } from "../../../core/actor.js";
import { displayValue, isSettingKey } from "../../../core/settings.js";
import { invalidArgument } from "../../../core/errors.js";
import type { WhmFunction } from "../function.js";

export const getTweaksetting: WhmFunction = {
  name: "get_tweaksetting",
  async run({ params, actor, keyhold }) {
    requireRootLevel(actor);
    const key = params.require("key");
    if (!isSettingKey(key)) throw invalidArgument(`Unknown tweak setting “${key.slice(0, 64)}”.`);
    return { data: { tweaksetting: { key, value: displayValue(keyhold.settings.get()[key]) } } };
  },
};

export const setTweaksetting: WhmFunction = {
  name: "set_tweaksetting",
  async run({ params, actor, keyhold }) {
    const key = params.require("key");
    await keyhold.settings.set(actor, key, params.get("value") ?? "");
    return { data: null };
  },
};
