import { describe, expect, it } from 'vitest';
import { startForwardAuthRelay } from './forward-auth-relay.ts';

/**
 * docs/protocol.md section 10 on an https relay with COOKIE_DOMAIN: the forward-auth cookie is the
 * one that goes to the protected sites (`__Secure-`, Domain=example.test); the relay session it is
 * made from is read only as `__Host-countersign_session`, never as an unprefixed name a protected
 * site under the same domain could plant.
 */
const FORWARD_AUTH = '__Secure-countersign_forward_auth';

async function returnTo(address: string, cookie: string): Promise<Response> {
  const rd = encodeURIComponent('https://dash.example.test/reports');
  return fetch(`${address}/signin?rd=${rd}`, { headers: { cookie, 'x-forwarded-proto': 'https' }, redirect: 'manual' });
}

describe('forward auth from an https relay session', () => {
  it('sends a __Host- session back with a __Secure- forward-auth cookie for the domain, and no session cookie', async () => {
    const relay = await startForwardAuthRelay({ RELAY_ORIGIN: 'https://signin.example.test', TRUST_PROXY: '1' });
    expect((await relay.putRules([{ host: 'dash.example.test', groups: ['staff'], policy: 'session' }])).status).toBe(200);
    const { session } = await relay.signedInUser({ upn: 'zoe@example.test', groups: ['staff'] });

    const back = await returnTo(relay.address, `__Host-countersign_session=${session}`);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('https://dash.example.test/reports');
    const cookies = back.headers.getSetCookie();
    const forwardAuth = cookies.find((header) => header.startsWith(`${FORWARD_AUTH}=`))!;
    expect(forwardAuth).toMatch(/Domain=example\.test/);
    expect(forwardAuth).toMatch(/; Secure(;|$)/);
    // The relay session itself never gets a Domain, so it never reaches dash.example.test.
    expect(cookies.some((header) => header.includes('countersign_session='))).toBe(false);

    // What dash.example.test could set with Domain=example.test: not a session on the relay.
    const planted = await returnTo(relay.address, `countersign_session=${session}`);
    expect(planted.status).toBe(200);
    expect(planted.headers.getSetCookie().some((header) => header.startsWith(`${FORWARD_AUTH}=`))).toBe(false);
  });
});
