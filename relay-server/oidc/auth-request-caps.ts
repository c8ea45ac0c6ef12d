import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies } from 'hono/utils/cookie';
import { tryAgainIn } from '../api-error.ts';
import { clientAddress, clientKey } from '../http/client-context.ts';
import { aggregateKey } from '../security/aggregate-key.ts';
import { FAMILIAR_COOKIE, type FamiliarBrowser } from '../store/familiar-browsers-store.ts';
import type { OidcPayloadsStore } from '../store/oidc-payloads-store.ts';
import { OIDC_ROUTES } from './provider-config.ts';

/** docs/protocol.md section 5: authorization requests one client may make in a minute. */
export const AUTH_REQUESTS_PER_MINUTE = 60;
/**
 * Live stored interactions, relay-wide, past which unfamiliar clients' authorization requests are
 * refused. Each interaction lives 10 minutes (OIDC_TTL.Interaction), so one client at its rate
 * holds at most 600; this bounds the table at a few MB whatever many clients do.
 */
export const MAX_STORED_INTERACTIONS = 10_000;

const MINUTE_MS = 60_000;

/** A refusal the server writes before the provider sees the request. */
export interface AuthRefusal {
  retryAfterSeconds: number;
  message: string;
}

/**
 * The caps on OpenID Connect authorization requests (`GET /oidc/auth`), checked before the
 * provider runs, so a refused request stores nothing: at most AUTH_REQUESTS_PER_MINUTE per client
 * (a familiar browser is its cookie), and no new interaction from an unfamiliar client while
 * MAX_STORED_INTERACTIONS live ones are stored. Counts per client are per relay instance; the
 * stored interactions are counted in the shared database.
 */
export class AuthRequestCaps {
  /** Adjustable for tests; the protocol only asks that it be bounded. */
  maxStoredInteractions = MAX_STORED_INTERACTIONS;
  private readonly windows = new Map<string, { count: number; endsAt: number }>();

  constructor(
    private readonly deps: {
      interactions: Pick<OidcPayloadsStore, 'countLiveInteractions'>;
      now: () => number;
      trustedProxies: number;
      familiar: (cookie: string | undefined, clientKey: string) => Promise<FamiliarBrowser | undefined>;
    },
  ) {}

  /** Whether `req` is an authorization request (not the provider's own resume of one). */
  static applies(req: IncomingMessage): boolean {
    return (req.url ?? '').split('?', 1)[0] === OIDC_ROUTES.authorization;
  }

  /** Null when the request may go on; else the refusal, already counted. */
  async check(req: IncomingMessage): Promise<AuthRefusal | null> {
    const now = this.deps.now();
    const forwarded = req.headers['x-forwarded-for'];
    const address = clientAddress(
      Array.isArray(forwarded) ? forwarded.join(', ') : forwarded,
      req.socket.remoteAddress ?? '',
      this.deps.trustedProxies,
    );
    const cookie = req.headers.cookie ? parseCookies(req.headers.cookie, FAMILIAR_COOKIE)[FAMILIAR_COOKIE] : undefined;
    const familiar = cookie ? await this.deps.familiar(cookie, clientKey(address)) : undefined;
    // The per-client rate is each client's share of the stored interactions, an aggregate cap:
    // an IPv6 /48 is one client for it (section 1). A familiar browser is its cookie.
    const client = familiar?.clientKey ?? aggregateKey(clientKey(address));

    let window = this.windows.get(client);
    if (!window || window.endsAt <= now) {
      if (this.windows.size >= 100_000) for (const [key, entry] of this.windows) if (entry.endsAt <= now) this.windows.delete(key);
      this.windows.set(client, (window = { count: 0, endsAt: now + MINUTE_MS }));
    }
    if (window.count >= AUTH_REQUESTS_PER_MINUTE) {
      const seconds = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
      return {
        retryAfterSeconds: seconds,
        message: `Sign-ins for apps from here are paused: too many were started in a minute. ${tryAgainIn(seconds)}`,
      };
    }
    window.count += 1;
    if (familiar) return null;
    if ((await this.deps.interactions.countLiveInteractions(now)) >= this.maxStoredInteractions) {
      const seconds = 60;
      return {
        retryAfterSeconds: seconds,
        message:
          'Sign-ins for apps from unknown places are paused for a moment because many are waiting; sign in from a browser you ' +
          `used before, or ${tryAgainIn(seconds).toLowerCase()}`,
      };
    }
    return null;
  }
}

/** The 429 page of a refused authorization request: what is paused and when to try again. */
export function writeAuthRefusal(res: ServerResponse, refusal: AuthRefusal): void {
  const text = escapeHtml(refusal.message);
  res.writeHead(429, {
    'content-type': 'text/html; charset=utf-8',
    'retry-after': String(refusal.retryAfterSeconds),
    'cache-control': 'no-store',
  });
  res.end(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Try again shortly</title>` +
      `</head><body><main class="card"><h1>Try again shortly</h1>` +
      `<p data-testid="auth-refused">${text}</p></main></body></html>`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
