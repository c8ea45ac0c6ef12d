import type { Context } from 'hono';
import { keepShownOnce, takeShownOnce } from './shown-once-cookie.ts';

/** A new app's client secret, shown once on the Apps page (shown-once-cookie.ts); only its hash is stored. */
export interface NewAppSecret {
  clientId: string;
  clientSecret: string;
}

const COOKIE = { name: 'countersign_new_app', path: '/admin/apps' };

export function keepNewAppSecret(c: Context, relayOrigin: string, sessionCsrf: string, secret: NewAppSecret): void {
  keepShownOnce(c, relayOrigin, COOKIE, sessionCsrf, `${secret.clientId}.${secret.clientSecret}`);
}

export function takeNewAppSecret(c: Context, relayOrigin: string, sessionCsrf: string): NewAppSecret | undefined {
  const match = /^([\w-]{1,64})\.([\w-]{16,128})$/.exec(takeShownOnce(c, relayOrigin, COOKIE, sessionCsrf) ?? '');
  return match ? { clientId: match[1]!, clientSecret: match[2]! } : undefined;
}
