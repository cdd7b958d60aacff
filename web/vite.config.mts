import { resolve } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

/**
 * The dashboard (`/`) and the self-hosted GraphiQL (`/graphql` with LANDING_PAGE=graphiql), built into
 * dist/web and served by src/landing under /_ui/. Everything the pages load is in that folder: no CDN.
 */
export default defineConfig({
  root,
  base: "/_ui/",
  publicDir: false,
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic" } },
  worker: { format: "es" },
  build: {
    outDir: resolve(root, "../dist/web"),
    emptyOutDir: true,
    // GraphiQL's Monaco editor is large; it is only loaded by graphiql.html, never by the dashboard.
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      input: { index: resolve(root, "index.html"), graphiql: resolve(root, "graphiql.html") },
      // React Server Components directives in GraphiQL's dependencies mean nothing in a client bundle.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
});
