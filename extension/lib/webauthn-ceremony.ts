import { fromBase64Url, randomBytes, toBase64Url } from '../../protocol/index.ts';

/**
 * Biometric unlock, the pages' side: the WebAuthn calls that only an extension page can make
 * (the service worker has no `navigator.credentials`). `rp.id` is left unset, so the relying
 * party is the extension's own origin. The PRF output goes to the worker for one setup or one
 * decision and is kept nowhere.
 */

export type CeremonyProblem = 'webauthn_unavailable' | 'webauthn_cancelled' | 'prf_unsupported' | 'webauthn_failed';
export type Ceremony<T> = { ok: true; value: T } | { ok: false; code: CeremonyProblem };

/** A person gets two minutes to touch the sensor; `publicKey.timeout` alone is not honoured everywhere. */
const CEREMONY_TIMEOUT_MS = 120_000;

function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function problemOf(error: unknown): CeremonyProblem {
  const name = error instanceof DOMException ? error.name : '';
  // NotAllowedError: cancelled, timed out, or no user verification; AbortError: our timeout.
  return name === 'NotAllowedError' || name === 'AbortError' || name === 'TimeoutError' ? 'webauthn_cancelled' : 'webauthn_failed';
}

export function webAuthnAvailable(): boolean {
  return typeof navigator !== 'undefined' && navigator.credentials !== undefined && typeof PublicKeyCredential !== 'undefined';
}

/** Makes the unlock credential, with PRF and user verification required. */
export async function createUnlockCredential(): Promise<Ceremony<{ credentialId: string }>> {
  if (!webAuthnAvailable()) return { ok: false, code: 'webauthn_unavailable' };
  try {
    const credential = (await navigator.credentials.create({
      publicKey: {
        rp: { name: 'Countersign Authenticator' },
        user: { id: buf(randomBytes(16)), name: 'Countersign unlock', displayName: 'Countersign Authenticator in this browser' },
        challenge: buf(randomBytes(32)),
        pubKeyCredParams: [
          { type: 'public-key', alg: -7 },
          { type: 'public-key', alg: -257 },
        ],
        authenticatorSelection: { userVerification: 'required', residentKey: 'preferred' },
        extensions: { prf: {} },
      },
      signal: AbortSignal.timeout(CEREMONY_TIMEOUT_MS),
    })) as PublicKeyCredential | null;
    if (!credential) return { ok: false, code: 'webauthn_failed' };
    if (credential.getClientExtensionResults().prf?.enabled !== true) return { ok: false, code: 'prf_unsupported' };
    return { ok: true, value: { credentialId: toBase64Url(new Uint8Array(credential.rawId)) } };
  } catch (error) {
    return { ok: false, code: problemOf(error) };
  }
}

/** Asks the authenticator (with user verification) for the PRF output of `prfSalt`, base64url. */
export async function evaluatePrf(credentialId: string, prfSalt: string): Promise<Ceremony<string>> {
  if (!webAuthnAvailable()) return { ok: false, code: 'webauthn_unavailable' };
  try {
    const credential = (await navigator.credentials.get({
      publicKey: {
        challenge: buf(randomBytes(32)),
        allowCredentials: [{ type: 'public-key', id: buf(fromBase64Url(credentialId)) }],
        userVerification: 'required',
        extensions: { prf: { eval: { first: buf(fromBase64Url(prfSalt)) } } },
      },
      signal: AbortSignal.timeout(CEREMONY_TIMEOUT_MS),
    })) as PublicKeyCredential | null;
    const first = credential?.getClientExtensionResults().prf?.results?.first;
    if (!first) return { ok: false, code: 'prf_unsupported' };
    const bytes = first instanceof ArrayBuffer ? new Uint8Array(first) : new Uint8Array(first.buffer, first.byteOffset, first.byteLength);
    try {
      return { ok: true, value: toBase64Url(bytes) };
    } finally {
      bytes.fill(0);
    }
  } catch (error) {
    return { ok: false, code: problemOf(error) };
  }
}

/** A fresh PRF salt for a new credential (stored in the settings record, not secret). */
export function newPrfSalt(): string {
  return toBase64Url(randomBytes(32));
}
