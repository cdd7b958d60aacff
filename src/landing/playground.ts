import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { renderPlaygroundPage } from "@apollographql/graphql-playground-html";
import type { ApolloServerPlugin } from "@apollo/server";
import express, { type Express, type NextFunction, type Request, type Response } from "express";

/**
 * Where the Playground's own prebuilt bundle is served. `renderPlaygroundPage({ cdnUrl })` asks for
 * `${cdnUrl}/@apollographql/graphql-playground-react/build/static/…` (no version in the path when none is
 * given), so the package's `build/` directory is mounted at exactly that path: no CDN, no internet.
 */
export const PLAYGROUND_PREFIX = "/_playground";
const BUNDLE_PATH = `${PLAYGROUND_PREFIX}/@apollographql/graphql-playground-react/build`;

/** `node_modules/graphql-playground-react/build`: middleware.js, index.css, favicon.png. */
export function playgroundBuildDir(): string {
  return join(dirname(require.resolve("graphql-playground-react/package.json")), "build");
}

/** Playground's CSS asks for Open Sans / Source Code Pro; without Google Fonts, the system's own fonts. */
const SYSTEM_FONTS = `<style type="text/css">
      html, body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
      code, pre, .CodeMirror { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
    </style>`;

/** The page `renderPlaygroundPage` writes, pointed at the local bundle, with no Google Fonts link. */
export function playgroundHtml(endpoint: string): string {
  const html = renderPlaygroundPage({ cdnUrl: PLAYGROUND_PREFIX, endpoint, subscriptionEndpoint: endpoint });
  const withoutFonts = html.replace(/\s*<link[^>]*fonts\.googleapis\.com[^>]*>/g, "");
  if (withoutFonts.includes("googleapis") || withoutFonts.includes("jsdelivr")) {
    throw new Error("the Playground page still names a CDN: @apollographql/graphql-playground-html changed");
  }
  return withoutFonts.replace("</head>", `  ${SYSTEM_FONTS}\n  </head>`);
}

/**
 * The Playground page's Content-Security-Policy: everything from this server only, like the dashboard's
 * (src/landing), with the relaxations Playground needs and nothing more, on this page only:
 * - `script-src`: the page's one inline script (`GraphQLPlayground.init(root, config)`, written by
 *   graphql-playground-html) is allowed by its SHA-256 hash, not by `'unsafe-inline'`; no other inline
 *   script runs. No `'unsafe-eval'`: the bundle starts and runs operations without it (test/ui-playground).
 * - `style-src 'unsafe-inline'`: the page's own `<style>` blocks and styled-components' injected styles.
 * - `connect-src 'self'`: introspection and operations over HTTP; subscriptions over WebSocket to this
 *   same origin (Chromium counts ws: to the page's own host as 'self').
 */
export function playgroundCsp(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1]!, "utf8").digest("base64")}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(" ")}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "style-src 'self' 'unsafe-inline'",
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
}

/** Serves Playground's prebuilt bundle (scripts, styles, favicon) from the installed package. */
export function mountPlaygroundAssets(app: Express): void {
  app.use(
    BUNDLE_PATH,
    express.static(playgroundBuildDir(), {
      index: false,
      setHeaders: (res) => {
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Cache-Control", "public, max-age=3600");
      },
    }),
    (_req: Request, res: Response) => void res.status(404).type("text").send("Not found"),
  );
}

/** Sets the Playground page's headers on the browser's GET of the landing page. */
export function playgroundPageHeaders(endpoint: string) {
  const csp = playgroundCsp(playgroundHtml(endpoint));
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === "GET" && (req.headers.accept ?? "").includes("text/html")) {
      res
        .set("Content-Security-Policy", csp)
        .set("X-Content-Type-Options", "nosniff")
        .set("Referrer-Policy", "no-referrer")
        .set("Cache-Control", "no-cache");
    }
    next();
  };
}

/**
 * GraphQL Playground for queries and mutations, served offline from `graphql-playground-react`'s own build.
 * Its subscriptions speak the legacy protocol, which graphql-ws does not: subscriptions need GraphiQL (the
 * default) or any graphql-ws client.
 */
export function playgroundLandingPage(endpoint: string): ApolloServerPlugin {
  return {
    async serverWillStart() {
      const html = playgroundHtml(endpoint);
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
