import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FAILED_PASSWORDS, PASSWORD_WINDOW_MS } from '../../../relay-server/security/password-throttle.ts';
import { pageBrowser, ORIGIN, pageRelay } from './page-browser.ts';

let env: Awaited<ReturnType<typeof pageRelay>>;
beforeAll(async () => {
  env = await pageRelay();
});
afterAll(() => env.close());

const signinApi = (upn: string, password: string) =>
  env.relay.app.request('/api/v1/signins', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upn, password }),
  });

describe('password guessing', () => {
  it('is refused on the password page after ten wrong passwords, even with the right one, until the window ends', async () => {
    for (let i = 0; i < MAX_FAILED_PASSWORDS; i++) {
      expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', `guess-${i}`)).status).toBe(401);
    }
    const refused = await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', 'countersign-demo');
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('is paused after too many wrong passwords');
    // Another account is not affected.
    expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', 'countersign-demo')).status).toBe(303);

    env.clock.advance(PASSWORD_WINDOW_MS);
    expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('bob@demo.test', 'countersign-demo')).status).toBe(303);
  });

  it('is refused through the API with 429 rate_limited, sharing the count with the page, and unknown names count too', async () => {
    for (let i = 0; i < MAX_FAILED_PASSWORDS - 1; i++) expect((await signinApi('Nobody@Demo.Test', `guess-${i}`)).status).toBe(401);
    expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('nobody@demo.test', 'one-more')).status).toBe(401);
    const refused = await signinApi('nobody@demo.test', 'another');
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('forgets earlier failures after a correct password', async () => {
    for (let i = 0; i < MAX_FAILED_PASSWORDS - 1; i++) {
      await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', `guess-${i}`);
    }
    expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', 'countersign-demo')).status).toBe(303);
    for (let i = 0; i < MAX_FAILED_PASSWORDS - 1; i++) {
      expect((await pageBrowser(env.relay, ORIGIN).signInWithPassword('alice@demo.test', `again-${i}`)).status).toBe(401);
    }
  });
});
