import { expect } from 'vitest';
import type { TestRelay } from '../../helpers/test-relay.ts';
import { waitingApp, type Person } from '../browser-and-app.ts';

/**
 * A person's browser moving between an app and the relay as a real one does: follows every
 * redirect, on any origin, and signs in on the relay (approving on their device) when the relay
 * shows its sign-in page. The cookie jar is one for both, as a browser's is for one host.
 */
export async function browse(relay: TestRelay, person: Person, url: string | URL, options: { signIn?: boolean; stopAt?: string } = {}) {
  let current = new URL(url);
  for (let hop = 0; hop < 20; hop++) {
    // An app with no server in the test (its callback is only read, never loaded).
    if (current.origin === options.stopAt) return { url: current, status: 0, text: '' };
    const answer = await person.browser.load(current);
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      current = new URL(answer.location, current);
      continue;
    }
    if (current.origin === relay.origin && current.pathname === '/signin' && options.signIn !== false) {
      const app = current.searchParams.get('app') ?? undefined;
      await person.signInOnRelay(app);
      current = new URL(waitingApp(current), relay.origin);
      options = { ...options, signIn: false };
      continue;
    }
    return { url: current, status: answer.status, text: answer.text };
  }
  throw new Error('too many redirects');
}

/** The relay's "Sign out?" page answered with "Sign out"; returns where the relay sends the browser. */
export async function confirmLogout(relay: TestRelay, person: Person, page: { text: string }) {
  expect(page.text).toContain('asks to sign you out');
  const action = /<form[^>]*action="([^"]+)"/.exec(page.text)![1]!;
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)![1]!;
  const done = await fetch(new URL(action, relay.origin), {
    method: 'POST',
    redirect: 'manual',
    headers: { ...person.browser.cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }),
  });
  person.browser.cookies.remember(done);
  expect(done.status).toBe(303);
  return new URL(done.headers.get('location')!, relay.origin);
}
