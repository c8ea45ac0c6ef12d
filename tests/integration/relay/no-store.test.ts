import { describe, expect, it } from 'vitest';
import { pageBrowser } from '../pages/page-browser.ts';
import { decisionFrame, pairKeys } from '../helpers/paired-keys.ts';
import { RawDeviceSocket } from '../helpers/raw-device-socket.ts';
import { startTestRelay } from '../helpers/test-relay.ts';

/** docs/protocol.md section 5: answers that carry a browser token or a session are sent with `Cache-Control: no-store`. */
describe('Cache-Control: no-store', () => {
  it('is on the API answers that carry a browser token or a session', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const { raw } = await RawDeviceSocket.authenticated(relay.origin, [keys]);
    const created = await relay.http('POST', '/api/v1/signins', { body: { upn: user.upn } });
    expect(created.status).toBe(201);
    expect(created.body.browserToken).toEqual(expect.any(String));
    expect(created.headers.get('cache-control')).toBe('no-store');
    await raw.next('challenge');
    raw.send(decisionFrame(relay, keys, { requestId: created.body.requestId, decision: 'approve', number: created.body.number }));
    await raw.next('result');
    const completed = await relay.http('POST', `/api/v1/signins/${created.body.requestId}/complete`, { bearer: created.body.browserToken });
    expect(completed.status).toBe(200);
    expect(completed.headers.get('set-cookie')).toMatch(/^countersign_session=/);
    expect(completed.headers.get('cache-control')).toBe('no-store');
  });

  it('is on the password page answers that start a session or show a started request', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser({ password: 'a-good-password-1' });
    const browser = pageBrowser(relay.running.relay, relay.origin);
    const session = await browser.signInWithPassword(user.upn, 'a-good-password-1');
    expect(session.status).toBe(303);
    expect(session.headers.get('set-cookie')).toMatch(/countersign_session=/);
    expect(session.headers.get('cache-control')).toBe('no-store');

    await pairKeys(relay, user.upn);
    await relay.setPolicy({ mode: 'push' });
    const push = await pageBrowser(relay.running.relay, relay.origin).signInWithPassword(user.upn, 'a-good-password-1');
    expect(push.status).toBe(200);
    expect(await push.text()).toMatch(/data-browser-token="[A-Za-z0-9_-]{22}"/);
    expect(push.headers.get('cache-control')).toBe('no-store');
  });
});
