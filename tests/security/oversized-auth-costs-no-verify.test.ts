import { describe, expect, it, vi } from 'vitest';
import { randomId } from '../../protocol/index.ts';
import * as verifySignature from '../../relay-server/security/verify-signature.ts';
import { pairKeys } from '../integration/helpers/paired-keys.ts';
import { RawDeviceSocket, authFrame } from '../integration/helpers/raw-device-socket.ts';
import { startTestRelay } from '../integration/helpers/test-relay.ts';

// Every signature check the relay makes goes through these spies (the relay runs in this process).
vi.mock('../../relay-server/security/verify-signature.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof verifySignature>();
  return { ...actual, verifyDeviceSignature: vi.fn(actual.verifyDeviceSignature), publicKeyFromPoint: vi.fn(actual.publicKeyFromPoint) };
});

/**
 * The attack: one `auth` frame listing the same deviceId 64 times (or 65 entries) cost 64 key
 * imports and verifies on the main thread. Such a frame is malformed at the schema and costs no
 * key import and no verify at all.
 */
describe('auth frames the schema refuses', () => {
  it('costs no key import and no signature check for 65 entries or a repeated deviceId', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    const keys = await pairKeys(relay, user.upn);
    const verify = vi.mocked(verifySignature.verifyDeviceSignature);
    const importKey = vi.mocked(verifySignature.publicKeyFromPoint);

    const raw = await RawDeviceSocket.open(relay.origin);
    const hello = await raw.next('hello');
    verify.mockClear();
    importKey.mockClear();
    const repeated = authFrame(
      relay.origin,
      hello.nonce,
      Array.from({ length: 64 }, () => keys),
    );
    raw.send(repeated);
    expect(await raw.next('error', 0)).toMatchObject({ code: 'malformed_frame' });
    const strangers = Array.from({ length: 64 }, () => ({ deviceId: randomId(), connectKey: keys.connectKey }));
    raw.send(authFrame(relay.origin, hello.nonce, [keys, ...strangers]));
    expect(await raw.next('error', 1)).toMatchObject({ code: 'malformed_frame' });
    expect(verify).not.toHaveBeenCalled();
    expect(importKey).not.toHaveBeenCalled();

    // The spies do see the checks a valid frame makes: one verify for one credential.
    raw.send(authFrame(relay.origin, hello.nonce, [keys]));
    expect((await raw.next('ready')).accepted).toEqual([keys.deviceId]);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
