import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

const here = new URL(".", import.meta.url);

export default defineConfig({
  root: decodeURIComponent(here.pathname),
  base: "/",
  plugins: [preact()],
  build: {
    outDir: decodeURIComponent(new URL("../dist/web", here).pathname),
    emptyOutDir: true,
    // Everything stays a file of its own: the Content-Security-Policy allows no data: URLs.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
