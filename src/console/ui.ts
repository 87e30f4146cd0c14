import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The browser UI: static files from `console/ui/` in the package (plain ES modules, no build
 * step) and the few libraries it imports, served from node_modules by this daemon: no CDN, no
 * internet at run time. Files are read once at start and kept in memory (they are small).
 * The UI signs in with a token kept in sessionStorage and calls /api/v1 like any script.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../console/ui');
const require = createRequire(import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
};

/** Library files the UI imports, by the URL it imports them from. */
const VENDOR: Readonly<Record<string, string>> = {
  '/vendor/preact.js': 'preact/dist/preact.module.js',
  '/vendor/preact-hooks.js': 'preact/hooks/dist/hooks.module.js',
  '/vendor/htm.js': 'htm/dist/htm.module.js',
  '/vendor/uplot.js': 'uplot/dist/uPlot.esm.js',
  '/vendor/uplot.css': 'uplot/dist/uPlot.min.css',
};

const UI_FILES = ['index.html', 'app.js', 'api.js', 'pages.js', 'style.css'];

const SECURITY_HEADERS = {
  // Everything comes from this origin; no inline script, no framing.
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** `pkg/inner/path` inside the installed package (its "exports" map does not list dist files). */
function vendorFile(spec: string): string {
  const pkg = spec.split('/')[0]!;
  const main = require.resolve(pkg);
  const marker = `/node_modules/${pkg}/`;
  const root = main.slice(0, main.lastIndexOf(marker) + marker.length);
  return join(root, spec.slice(pkg.length + 1));
}

export function registerUi(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const f of UI_FILES) files.set('/' + f, { body: readFileSync(join(ROOT, f)), type: TYPES[f.slice(f.lastIndexOf('.'))]! });
  for (const [url, mod] of Object.entries(VENDOR)) {
    const file = vendorFile(mod);
    let body = readFileSync(file);
    // preact/hooks imports "preact" by bare name: point it at our copy
    if (url === '/vendor/preact-hooks.js') body = Buffer.from(body.toString('utf8').replace(/from\s*"preact"/g, 'from"/vendor/preact.js"'));
    files.set(url, { body, type: TYPES[url.slice(url.lastIndexOf('.'))]! });
  }
  const send = (url: string) => async (_req: unknown, reply: import('fastify').FastifyReply) => {
    const f = files.get(url)!;
    return reply.headers({ ...SECURITY_HEADERS, 'content-type': f.type, 'cache-control': 'no-cache' }).send(f.body);
  };
  app.get('/', { schema: { hide: true } }, send('/index.html'));
  for (const url of files.keys()) app.get(url, { schema: { hide: true } }, send(url));
}
