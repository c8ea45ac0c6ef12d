import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { JWK } from 'oidc-provider';
import type { Store } from '../store/store.ts';

/**
 * ID token signing keys (docs/protocol.md section 9): one RS256 key (every client can verify it;
 * it is the OpenID default) and one ES256 key, made the first time the provider is used and kept
 * in the database so every instance signs with the same ones. Rotating makes a new pair and retires the old one,
 * which stays published at jwks_uri for `publishRetiredMs`, so tokens it signed still verify.
 */
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;

const generate = promisify(generateKeyPair);

/** On libuv's thread pool: an RSA key takes a tenth of a second or more, which the event loop should not wait out. */
async function newKey(alg: (typeof SIGNING_ALGS)[number], kid: string): Promise<JWK> {
  const { privateKey }: { privateKey: KeyObject } =
    alg === 'RS256' ? await generate('rsa', { modulusLength: 2048 }) : await generate('ec', { namedCurve: 'P-256' });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid, alg, use: 'sig' };
}

/**
 * The first pair has fixed ids, so instances starting together on one database insert it once
 * (the first writer wins, as with relay secrets) and all sign with the same keys from the start.
 */
async function addKeys(store: Store, now: number, first: boolean): Promise<void> {
  for (const alg of SIGNING_ALGS) {
    const jwk = await newKey(alg, first ? `${alg.toLowerCase()}-initial` : `${alg.toLowerCase()}-${now}-${randomUUID().slice(0, 8)}`);
    await store.oidcSigningKeys.addIfAbsent(jwk.kid!, JSON.stringify(jwk), now);
  }
}

/**
 * The keys to give the provider: current ones first (the first key of an alg signs), then retired
 * ones still published. Makes the first pair when there is none.
 */
export async function loadSigningKeys(store: Store, now: number, publishRetiredMs: number): Promise<JWK[]> {
  let rows = await store.oidcSigningKeys.all();
  if (rows.length === 0) {
    await addKeys(store, now, true);
    rows = await store.oidcSigningKeys.all();
  }
  const current = rows.filter((row) => row.retired_at === null);
  const retired = rows.filter((row) => row.retired_at !== null && Number(row.retired_at) + publishRetiredMs > now);
  return [...current, ...retired].map((row) => JSON.parse(row.private_jwk) as JWK);
}

/** A fingerprint of the key set, so an instance notices another one's rotation. */
export function signingKeysVersion(store: Store): Promise<string> {
  return store.oidcSigningKeys.version();
}

/** Retires every current key and makes a new pair; old tokens stay verifiable while published. */
export async function rotateSigningKeys(store: Store, now: number, publishRetiredMs: number): Promise<void> {
  await store.oidcSigningKeys.retireCurrent(now);
  await addKeys(store, now + 1, false);
  // Keys retired long ago sign nothing and verify nothing any more.
  await store.oidcSigningKeys.deleteRetiredBefore(now - publishRetiredMs);
}
