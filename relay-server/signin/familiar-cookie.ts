import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { FAMILIAR_COOKIE, FAMILIAR_LIFETIME_MS } from '../store/familiar-browsers-store.ts';
import type { SigninService } from './signin-service.ts';

/**
 * Makes this browser familiar for the user who just signed in from it (any method): HttpOnly,
 * SameSite=Lax, Secure on https, 90 days. Only the last user to sign in from a browser is named.
 */
export async function rememberBrowser(c: Context, signins: SigninService, relayOrigin: string, userId: string): Promise<void> {
  setCookie(c, FAMILIAR_COOKIE, await signins.familiar.issue(userId), {
    httpOnly: true,
    sameSite: 'Lax',
    secure: relayOrigin.startsWith('https:'),
    path: '/',
    maxAge: FAMILIAR_LIFETIME_MS / 1000,
  });
}
