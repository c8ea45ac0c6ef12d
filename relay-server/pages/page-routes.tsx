/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { RelayDeps } from '../relay-deps.ts';

// Placeholder while the pages are written; replaced by the real page routes.
export function pageRoutes(_deps: RelayDeps) {
  return new Hono();
}
