/**
 * For QA teams testing their own apps against Countersign (docs/protocol.md sections 7 and 9):
 * registers an app on a relay through the admin API and says how to point an OpenID Connect
 * client at it.
 */
export interface OidcApp {
  /** The relay origin: discovery is at `${issuer}/.well-known/openid-configuration`. */
  issuer: string;
  clientId: string;
  /** Absent for a public client (which must use PKCE). */
  clientSecret?: string;
  redirectUri: string;
  name: string;
}

export interface OidcAppOptions {
  /** Where the app receives its code, e.g. http://127.0.0.1:3000/callback (https off loopback). */
  redirectUri: string;
  name?: string;
  public?: boolean;
  needsConsent?: boolean;
  /** Where the app may send people after signing them out through Countersign (RP-initiated logout). */
  postLogoutRedirectUris?: string[];
  /** The app's Back-Channel Logout 1.0 receiver. */
  backchannelLogoutUri?: string;
  idTokenAlg?: 'RS256' | 'ES256';
}

export async function registerOidcApp(relay: { origin: string; adminToken: string }, options: OidcAppOptions): Promise<OidcApp> {
  const name = options.name ?? 'QA App';
  const response = await fetch(`${relay.origin}/api/v1/admin/apps`, {
    method: 'POST',
    headers: { authorization: `Bearer ${relay.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      redirectUris: [options.redirectUri],
      public: options.public ?? false,
      needsConsent: options.needsConsent ?? false,
      ...(options.postLogoutRedirectUris ? { postLogoutRedirectUris: options.postLogoutRedirectUris } : {}),
      ...(options.backchannelLogoutUri ? { backchannelLogoutUri: options.backchannelLogoutUri } : {}),
      ...(options.idTokenAlg ? { idTokenAlg: options.idTokenAlg } : {}),
    }),
  });
  const body = (await response.json()) as { clientId?: string; clientSecret?: string; error?: { message?: string } };
  if (response.status !== 201 || !body.clientId)
    throw new Error(`registering the app failed (${response.status}): ${body.error?.message ?? 'no answer'}`);
  return {
    issuer: relay.origin,
    clientId: body.clientId,
    ...(body.clientSecret ? { clientSecret: body.clientSecret } : {}),
    redirectUri: options.redirectUri,
    name,
  };
}
