import { describe, expect, it } from 'vitest';
import { logoutPageHtml } from '../../../relay-server/oidc/provider-pages.tsx';

/** The relay's "Sign out?" page (an app's RP-initiated logout) styles its buttons as every other page does. */
describe('the "Sign out?" page', () => {
  it('has styled buttons: "Stay signed in" secondary, "Sign out" the main one, both posting the provider\'s form', async () => {
    const html = await logoutPageHtml('Sample App', '<form id="op.logoutForm" method="post" action="/oidc/session/end/confirm"></form>');
    expect(html).toContain('Sample App asks to sign you out of Countersign.');
    const buttons = [...html.matchAll(/<button([^>]*)>\s*([^<]*?)\s*<\/button>/g)].map(([, attributes, label]) => ({
      label,
      class: /class="([^"]*)"/.exec(attributes!)?.[1] ?? null,
      form: /form="([^"]*)"/.exec(attributes!)?.[1] ?? null,
    }));
    expect(buttons).toEqual([
      { label: 'Stay signed in', class: 'button secondary', form: 'op.logoutForm' },
      { label: 'Sign out', class: 'button', form: 'op.logoutForm' },
    ]);
  });
});
