import { Hono } from 'hono';
import type { WithSignins } from '../signin/signin-deps.ts';
import { meRoutes } from './me-routes.tsx';
import { securityInfoRoutes } from './security-info-routes.tsx';

/** The person's own pages: /me, /signed-out, and /security-info (your authenticators and pairing a new one). */
export function accountRoutes(deps: WithSignins) {
  return new Hono().route('/', meRoutes(deps)).route('/', securityInfoRoutes(deps));
}
