import { randomId } from '../../protocol/encoding.ts';
import type { CreateAppBody } from '../../protocol/admin-messages.ts';
import { hashSecret } from '../security/secrets.ts';
import type { RegisteredApp } from '../store/apps-store.ts';
import type { Store } from '../store/store.ts';

/** What the admin sees once: a confidential app's secret is never shown again (only its hash is kept). */
export interface NewApp {
  app: RegisteredApp;
  clientSecret?: string;
}

/** Registers an app with a fresh client id and, unless public, a fresh 256-bit secret. */
export async function registerApp(store: Store, body: CreateAppBody, now: number): Promise<NewApp> {
  const clientSecret = body.public ? undefined : `${randomId()}${randomId()}`;
  const app: RegisteredApp = {
    clientId: randomId(),
    name: body.name,
    redirectUris: [...new Set(body.redirectUris)],
    postLogoutRedirectUris: [...new Set(body.postLogoutRedirectUris)],
    backchannelLogoutUri: body.backchannelLogoutUri,
    idTokenAlg: body.idTokenAlg,
    public: body.public,
    secretHash: clientSecret ? hashSecret(clientSecret) : null,
    needsConsent: body.needsConsent,
    createdAt: now,
  };
  await store.apps.add(app);
  return clientSecret ? { app, clientSecret } : { app };
}

/** The app as the admin API lists it: never the secret or its hash. */
export function appView(app: RegisteredApp) {
  return {
    clientId: app.clientId,
    name: app.name,
    redirectUris: app.redirectUris,
    postLogoutRedirectUris: app.postLogoutRedirectUris,
    backchannelLogoutUri: app.backchannelLogoutUri,
    idTokenAlg: app.idTokenAlg,
    public: app.public,
    needsConsent: app.needsConsent,
    createdAt: app.createdAt,
  };
}
