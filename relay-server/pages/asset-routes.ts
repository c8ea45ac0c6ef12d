import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** The pages' one stylesheet and small scripts, read once at start and served with an ETag. */
interface Asset {
  body: string;
  type: string;
  etag: string;
  /** The URL pages link to; `?v=` changes with the content so a new version is never stale. */
  url: string;
}

function load(name: string, type: string): Asset {
  const body = readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { body, type, etag: `"${version}"`, url: `/assets/${name}?v=${version}` };
}

export const ASSETS = {
  css: load('app.css', 'text/css; charset=utf-8'),
  signin: load('signin.js', 'text/javascript; charset=utf-8'),
  securityInfo: load('security-info.js', 'text/javascript; charset=utf-8'),
  admin: load('admin.js', 'text/javascript; charset=utf-8'),
} as const;

export function assetRoutes() {
  const app = new Hono();
  for (const asset of Object.values(ASSETS)) {
    const path = asset.url.slice(0, asset.url.indexOf('?'));
    app.get(path, (c) => {
      const versioned = c.req.query('v') === asset.etag.slice(1, -1);
      c.header('Cache-Control', versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      c.header('ETag', asset.etag);
      c.header('X-Content-Type-Options', 'nosniff');
      if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
      c.header('Content-Type', asset.type);
      return c.body(asset.body);
    });
  }
  return app;
}
