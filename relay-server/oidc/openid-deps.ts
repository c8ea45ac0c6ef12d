import type { RelayDeps } from '../relay-deps.ts';
import type { OpenIdProvider } from './openid-provider.ts';

/** The shared parts and the OpenID Provider for registered apps; absent in bare test apps. */
export interface WithOpenId extends RelayDeps {
  openid?: OpenIdProvider;
}
