import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromBase64Url, toBase64Url, utf8 } from '../protocol/index.ts';
import { unwrapWithPinKey, wrapWithPinKey, type PinWrappedKey } from '../protocol/pin-wrap.ts';

/**
 * The virtual device's stand-in for a WebAuthn authenticator with PRF (section 4a: "a WebAuthn
 * unlock wraps a second copy of the approval key and needs no evaluation"). Its one secret plays
 * the authenticator's hardware: it never goes into the key file, but into its own 0600 file when
 * a path is given, or lives in memory for the device's lifetime. A copied key file without it
 * opens nothing. Software, so for QA only: it shows the relay the `webauthn` path, nothing more.
 */
export class VirtualAuthenticator {
  private constructor(private readonly secret: Uint8Array) {}

  /** Reads the secret at `path`, making it on first use; without a path a fresh one in memory. */
  static async open(path?: string): Promise<VirtualAuthenticator> {
    if (path === undefined) return new VirtualAuthenticator(new Uint8Array(randomBytes(32)));
    try {
      const text = (await readFile(path, 'utf8')).trim();
      const secret = fromBase64Url(text);
      if (secret.length !== 32) throw new Error(`authenticator file ${path} does not hold 32 bytes`);
      return new VirtualAuthenticator(secret);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const secret = new Uint8Array(randomBytes(32));
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, `${toBase64Url(secret)}\n`, { mode: 0o600 });
    await rename(temporary, path);
    return new VirtualAuthenticator(secret);
  }

  wrap(secretKey: Uint8Array, deviceId: string): Promise<PinWrappedKey> {
    return this.key(deviceId).then((key) => wrapWithPinKey(key, secretKey, deviceId));
  }

  /** The approval key, or null when this authenticator did not make the copy. */
  async unwrap(wrapped: PinWrappedKey, deviceId: string): Promise<Uint8Array | null> {
    return unwrapWithPinKey(await this.key(deviceId), wrapped, deviceId);
  }

  private async key(deviceId: string): Promise<CryptoKey> {
    const material = await crypto.subtle.importKey('raw', this.secret as Uint8Array<ArrayBuffer>, 'HKDF', false, ['deriveKey']);
    return crypto.subtle.deriveKey(
      { name: 'HKDF', hash: 'SHA-256', salt: fromBase64Url(deviceId), info: utf8('countersign/testing/virtual-authenticator') },
      material,
      { name: 'AES-GCM', length: 256 },
      false,
      ['encrypt', 'decrypt'],
    );
  }
}
