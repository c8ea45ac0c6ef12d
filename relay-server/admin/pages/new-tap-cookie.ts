import type { Context } from 'hono';
import { keepShownOnce, takeShownOnce } from './shown-once-cookie.ts';

/** A new Temporary Access Pass, shown once on its user's admin page (shown-once-cookie.ts). */
export interface NewTap {
  code: string;
  expiresAt: number;
  oneTime: boolean;
}

const cookieFor = (userId: string) => ({ name: 'countersign_new_tap', path: `/admin/users/${encodeURIComponent(userId)}` });

export function keepNewTap(c: Context, relayOrigin: string, sessionCsrf: string, userId: string, tap: NewTap): void {
  keepShownOnce(c, relayOrigin, cookieFor(userId), sessionCsrf, `${tap.expiresAt}.${tap.oneTime ? 1 : 0}.${tap.code}`);
}

export function takeNewTap(c: Context, relayOrigin: string, sessionCsrf: string, userId: string): NewTap | undefined {
  const match = /^(\d{1,15})\.([01])\.([\w-]{16,64})$/.exec(takeShownOnce(c, relayOrigin, cookieFor(userId), sessionCsrf) ?? '');
  return match ? { code: match[3]!, expiresAt: Number(match[1]), oneTime: match[2] === '1' } : undefined;
}
