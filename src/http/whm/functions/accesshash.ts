import type { WhmFunction } from "../function.js";

/** WHM API 1 `accesshash` (reference §1): reads or, with `generate`, replaces a hash. */
export const accesshash: WhmFunction = {
  name: "accesshash",
  returnsSecret: true,
  async run({ params, actor, keyhold }) {
    keyhold.accessHashes.requireEnabled();
    const user = params.get("user");
    const view = params.flag("generate") ? await keyhold.accessHashes.generate(actor, user) : await keyhold.accessHashes.read(actor, user);
    return { data: { accesshash: view.accesshash } };
  },
};
