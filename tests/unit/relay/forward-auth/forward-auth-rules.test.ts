import { describe, expect, it } from 'vitest';
import { checkRules } from '../../../../relay-server/forward-auth/forward-auth-rules.ts';
import { decide } from '../../../../relay-server/forward-auth/forward-auth-decision.ts';
import type { ForwardAuthHolder } from '../../../../relay-server/store/forward-auth-store.ts';

const SCOPE = { cookieDomain: 'example.com', relayHost: 'signin.example.com' };

describe('checkRules()', () => {
  it('normalizes hosts and defaults the approval max age to 12 hours', () => {
    const checked = checkRules(
      {
        rules: [
          { host: 'Dash.Example.com.', policy: 'approval' },
          { host: 'wiki.example.com', groups: ['staff', 'staff'], policy: 'session' },
        ],
      },
      SCOPE,
    );
    expect(checked).toEqual({
      ok: true,
      rules: [
        { host: 'dash.example.com', groups: [], policy: 'approval', maxAgeSeconds: 43_200 },
        { host: 'wiki.example.com', groups: ['staff'], policy: 'session', maxAgeSeconds: 43_200 },
      ],
    });
  });

  it('refuses hosts outside COOKIE_DOMAIN, or other than the relay’s own host when it is unset', () => {
    expect(checkRules({ rules: [{ host: 'evil.net', policy: 'session' }] }, SCOPE)).toMatchObject({ ok: false, field: 'rules.0.host' });
    expect(checkRules({ rules: [{ host: 'badexample.com', policy: 'session' }] }, SCOPE)).toMatchObject({ ok: false });
    const noDomain = { cookieDomain: undefined, relayHost: '127.0.0.1' };
    expect(checkRules({ rules: [{ host: '127.0.0.1', policy: 'session' }] }, noDomain).ok).toBe(true);
    expect(checkRules({ rules: [{ host: 'dash.example.com', policy: 'session' }] }, noDomain).ok).toBe(false);
  });

  it('refuses a host named twice (after normalizing), malformed hosts, bad policies and ages', () => {
    expect(
      checkRules(
        {
          rules: [
            { host: 'a.example.com', policy: 'session' },
            { host: 'A.example.com:443', policy: 'session' },
          ],
        },
        SCOPE,
      ),
    ).toMatchObject({ ok: false, field: 'rules.1.host' });
    for (const rule of [
      { host: 'https://a.example.com', policy: 'session' },
      { host: 'a.example.com/x', policy: 'session' },
      { host: 'zoë.example.com', policy: 'session' },
      { host: 'a.example.com', policy: 'password' },
      { host: 'a.example.com', policy: 'approval', maxAgeSeconds: 10 },
      { host: 'a.example.com', policy: 'approval', maxAgeSeconds: 1.5 },
      { host: 'a.example.com', policy: 'session', groups: 'staff' },
      { host: 'a.example.com', policy: 'session', groups: [''] },
    ]) {
      expect(checkRules({ rules: [rule] }, SCOPE).ok, JSON.stringify(rule)).toBe(false);
    }
    expect(checkRules({ rules: 'x' }, SCOPE).ok).toBe(false);
    expect(checkRules({ rules: Array.from({ length: 501 }, (_, i) => ({ host: `h${i}.example.com`, policy: 'session' })) }, SCOPE).ok).toBe(
      false,
    );
  });
});

describe('decide()', () => {
  const now = Date.UTC(2026, 0, 1);
  const holder = (changes: Partial<ForwardAuthHolder> = {}): ForwardAuthHolder => ({
    userId: 'u',
    upn: 'alice@example.com',
    displayName: 'Alice',
    email: '',
    groups: ['staff'],
    amr: ['swk', 'pin', 'mfa'],
    sessionCreatedAt: now - 60_000,
    sessionExpiresAt: now + 60_000,
    ...changes,
  });
  const rule = { host: 'dash.example.com', groups: ['staff'], policy: 'session' as const, maxAgeSeconds: 43_200 };

  it('forbids a host no rule names, signed in or not', () => {
    expect(decide(undefined, holder(), now)).toEqual({ kind: 'forbid', reason: 'no_rule' });
    expect(decide(undefined, undefined, now)).toEqual({ kind: 'forbid', reason: 'no_rule' });
  });

  it('asks to sign in without a session, or with an expired one', () => {
    expect(decide(rule, undefined, now)).toEqual({ kind: 'signin', stepUp: false });
    expect(decide(rule, holder({ sessionExpiresAt: now }), now)).toEqual({ kind: 'signin', stepUp: false });
  });

  it('forbids a person in none of the rule’s groups; no groups means everyone signed in', () => {
    expect(decide(rule, holder({ groups: ['contractors'] }), now)).toEqual({ kind: 'forbid', reason: 'not_in_groups' });
    expect(decide({ ...rule, groups: [] }, holder({ groups: [] }), now).kind).toBe('allow');
  });

  it('asks for a fresh approval when an approval rule’s max age has passed, or the session had none', () => {
    const approval = { ...rule, policy: 'approval' as const, maxAgeSeconds: 300 };
    expect(decide(approval, holder({ sessionCreatedAt: now - 299_000 }), now).kind).toBe('allow');
    expect(decide(approval, holder({ sessionCreatedAt: now - 300_000 }), now)).toEqual({ kind: 'signin', stepUp: true });
    expect(decide(approval, holder({ amr: ['pwd'] }), now)).toEqual({ kind: 'signin', stepUp: true });
    expect(decide(rule, holder({ amr: ['pwd'] }), now).kind).toBe('allow');
  });
});
