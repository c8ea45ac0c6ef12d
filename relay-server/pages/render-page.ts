import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Anything Hono JSX renders: a node whose toString() may be async. */
type Renderable = { toString(): string | Promise<string> };

/** Sends a page. Pages show personal data, tokens and numbers, so nothing is cached. */
export async function renderPage(c: Context, page: Renderable, status: ContentfulStatusCode = 200): Promise<Response> {
  c.header('Cache-Control', 'no-store');
  return c.html(`<!DOCTYPE html>${await page.toString()}`, status);
}
