import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const root = import.meta.dirname;

/** Writes `x.gz` next to each text asset; src/landing serves it to browsers that accept gzip. */
function precompress(): Plugin {
  let outDir = "";
  return {
    name: "ibkr-graphql:precompress",
    apply: "build",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(join(outDir, "assets"))) {
        if (!/\.(js|css|ttf|svg|json)$/.test(file) || statSync(file).size < 1024) continue;
        writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

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
  plugins: [precompress()],
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
