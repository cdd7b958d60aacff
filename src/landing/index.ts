import { existsSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import type { ApolloServerPlugin } from "@apollo/server";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { mountPlaygroundAssets, playgroundPageHeaders } from "./playground";

/** Where `npm run build:web` puts the dashboard and GraphiQL (web/vite.config.mts). */
export const WEB_ROOT = resolve(__dirname, "../../web");
/** The URL prefix of the built assets (vite `base`). */
export const UI_PREFIX = "/_ui";

/**
 * The pages load scripts, styles, fonts and workers from this server only, and talk to it only. A browser
 * enforces it, so a dependency that would phone home fails closed instead of leaking.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  // Monaco (GraphiQL's editor) and React style elements inline.
  "style-src 'self' 'unsafe-inline'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

function page(file: string, what: string): string {
  const path = join(WEB_ROOT, file);
  if (existsSync(path)) return readFileSync(path, "utf8");
  return (
    `<!doctype html><meta charset="utf-8"><title>${what}</title>` +
    `<p>${what} is not built: run <code>npm run build</code> (or <code>npm run build:web</code>).</p>`
  );
}

function withHeaders(res: Response): Response {
  return res
    .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    .set("X-Content-Type-Options", "nosniff")
    .set("Referrer-Policy", "no-referrer")
    .set("Cache-Control", "no-cache");
}

export interface UiOptions {
  /** The GraphiQL page answers GET /graphql for browsers; it needs the same headers. */
  graphiql: boolean;
  /** GraphQL Playground is the landing page: its bundle is served from here, its page gets its own CSP. */
  playground?: boolean;
  graphqlPath: string;
}

/**
 * Serves the dashboard at `/` and the built assets under `/_ui/`. Static files only: every piece of data
 * comes from GraphQL, with the token the page asks for.
 */
export function mountUi(app: Express, options: UiOptions): void {
  app.use(
    UI_PREFIX,
    servePrecompressed,
    express.static(WEB_ROOT, {
      index: false,
      // File names carry a content hash; the HTML pages (no-cache) decide which ones load.
      setHeaders: (res, path) => {
        res.setHeader("X-Content-Type-Options", "nosniff");
        if (path.includes("/assets/")) res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
      },
    }),
    (_req: Request, res: Response) => void res.status(404).type("text").send("Not found"),
  );
  app.get("/", (_req, res) => {
    withHeaders(res).type("html").send(page("index.html", "The dashboard"));
  });
  if (options.graphiql) {
    app.use(options.graphqlPath, (req: Request, res: Response, next: NextFunction) => {
      if (req.method === "GET" && (req.headers.accept ?? "").includes("text/html")) withHeaders(res);
      next();
    });
  }
  if (options.playground) {
    mountPlaygroundAssets(app);
    app.use(options.graphqlPath, playgroundPageHeaders(options.graphqlPath));
  }
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** The `.gz` twin vite wrote at build time, for a browser that accepts gzip: no compression per request. */
function servePrecompressed(req: Request, res: Response, next: NextFunction): void {
  const ext = extname(req.path);
  const type = TYPES[ext];
  if (!type || !req.path.startsWith("/assets/") || req.path.includes("..")) return next();
  if (!/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) return next();
  const gz = join(WEB_ROOT, `${req.path}.gz`);
  if (!existsSync(gz)) return next();
  res
    .set("Content-Type", type)
    .set("Content-Encoding", "gzip")
    .set("Vary", "Accept-Encoding")
    .set("X-Content-Type-Options", "nosniff")
    .set("Cache-Control", "public, max-age=31536000, immutable")
    .sendFile(gz);
}

/** Self-hosted GraphiQL (subscriptions over graphql-ws) as Apollo's landing page at GET /graphql. */
export function graphiqlLandingPage(): ApolloServerPlugin {
  return {
    async serverWillStart() {
      const html = page("graphiql.html", "GraphiQL");
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
