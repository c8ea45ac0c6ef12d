import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { icoFromPng } from './favicon-ico.ts';

/** The pages' one stylesheet, small module scripts and icons, read once at start and served with an ETag. */
interface Asset {
  body: Uint8Array | string;
  type: string;
  etag: string;
  /** The URL pages link to; `?v=` changes with the content so a new version is never stale. */
  url: string;
}

const read = (name: string): Buffer => readFileSync(new URL(`./assets/${name}`, import.meta.url));

function asset(body: Buffer, type: string, path: string): Asset {
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  const text = type.startsWith('text/') || type.startsWith('image/svg');
  return { body: text ? body.toString('utf8') : new Uint8Array(body), type, etag: `"${version}"`, url: `${path}?v=${version}` };
}

const load = (name: string, type: string): Asset => asset(read(name), type, `/assets/${name}`);

const JAVASCRIPT = 'text/javascript; charset=utf-8';
/** `from './signin-view.js'` or `import './x.js'`: a module's imports of its siblings in assets/. */
const SIBLING_IMPORT = /\b(from|import)(\s*)'\.\/([a-z0-9-]+\.js)'/g;

/** The page scripts and every module they import, by file name: the only scripts served. */
const modules = new Map<string, Asset>();

/**
 * A page script (an ES module) whose sibling imports name their versioned URLs, so a change to
 * any module gives every script that imports it a new URL too and no page mixes old and new.
 */
function loadModule(name: string): Asset {
  const known = modules.get(name);
  if (known) return known;
  const source = read(name)
    .toString('utf8')
    .replace(SIBLING_IMPORT, (_, keyword: string, space: string, imported: string) => `${keyword}${space}'${loadModule(imported).url}'`);
  const loaded = asset(Buffer.from(source), JAVASCRIPT, `/assets/${name}`);
  modules.set(name, loaded);
  return loaded;
}

export const ASSETS = {
  css: load('app.css', 'text/css; charset=utf-8'),
  signin: loadModule('signin.js'),
  securityInfo: loadModule('security-info.js'),
  admin: loadModule('admin.js'),
  confirm: loadModule('confirm.js'),
  localTime: loadModule('local-time.js'),
  // Browsers ask for /favicon.ico on their own, so the icons live at the root.
  faviconSvg: asset(read('favicon.svg'), 'image/svg+xml', '/favicon.svg'),
  faviconIco: asset(icoFromPng(read('favicon-32.png')), 'image/x-icon', '/favicon.ico'),
} as const;

export function assetRoutes() {
  const app = new Hono();
  for (const asset of new Set([...Object.values(ASSETS), ...modules.values()])) {
    const path = asset.url.slice(0, asset.url.indexOf('?'));
    app.get(path, (c) => {
      const versioned = c.req.query('v') === asset.etag.slice(1, -1);
      c.header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      c.header('ETag', asset.etag);
      c.header('X-Content-Type-Options', 'nosniff');
      if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
      c.header('Content-Type', asset.type);
      return typeof asset.body === 'string' ? c.body(asset.body) : c.body(asset.body as Uint8Array<ArrayBuffer>);
    });
  }
  return app;
}
