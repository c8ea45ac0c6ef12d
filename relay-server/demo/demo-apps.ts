import { hashSecret } from '../security/secrets.ts';
import type { RegisteredApp } from '../store/apps-store.ts';
import type { Store } from '../store/store.ts';

/**
 * The demo's apps (README "Try it"): three names for `?app=` that keep their old ids and have no
 * redirect URIs (nothing signs in through them but the relay's own pages), and the sample app in
 * examples/, a real OpenID Connect client. Its secret is a published demo value: demo mode only.
 */
export const SAMPLE_APP = {
  clientId: 'sample-app',
  clientSecret: 'countersign-sample-app-demo-secret',
  port: 3000,
} as const;

export function sampleAppRedirectUris(port: number = SAMPLE_APP.port): string[] {
  return [`http://localhost:${port}/callback`, `http://127.0.0.1:${port}/callback`];
}

/** Its home page: where signing out of it through Countersign returns ("You signed out"). */
export function sampleAppPostLogoutUris(port: number = SAMPLE_APP.port): string[] {
  return [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`];
}

export function demoApps(now: number): RegisteredApp[] {
  const nameOnly = (clientId: string, name: string): RegisteredApp => ({
    clientId,
    name,
    redirectUris: [],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    idTokenAlg: 'RS256',
    public: false,
    secretHash: null,
    needsConsent: false,
    createdAt: now,
  });
  return [
    nameOnly('demo', 'Countersign Demo'),
    nameOnly('payroll', 'Payroll'),
    nameOnly('wiki', 'Team Wiki'),
    {
      clientId: SAMPLE_APP.clientId,
      name: 'Sample App',
      redirectUris: sampleAppRedirectUris(),
      postLogoutRedirectUris: sampleAppPostLogoutUris(),
      backchannelLogoutUri: null,
      idTokenAlg: 'RS256',
      public: false,
      secretHash: hashSecret(SAMPLE_APP.clientSecret),
      needsConsent: false,
      createdAt: now,
    },
  ];
}

/** Registers the demo apps that are missing; an app an admin deleted comes back on the next demo start. */
export async function seedDemoApps(store: Store, now: number): Promise<void> {
  for (const app of demoApps(now)) {
    if (await store.apps.add(app)) continue;
    // A demo database from before post-logout URIs existed: the sample app's "Sign out" needs its home registered.
    const saved = await store.apps.byClientId(app.clientId);
    if (saved && saved.postLogoutRedirectUris.length === 0 && app.postLogoutRedirectUris.length > 0) {
      await store.apps.setPostLogoutRedirectUris(app.clientId, app.postLogoutRedirectUris);
    }
  }
}
