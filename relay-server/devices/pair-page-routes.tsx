/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import { renderPage } from '../pages/render-page.ts';
import { PairPage } from './pair-page.tsx';

/** The page a pairing link opens in a browser (its token stays in the fragment). */
export function pairPageRoutes() {
  return new Hono().get('/pair', (c) => renderPage(c, <PairPage />));
}
