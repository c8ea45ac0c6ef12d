import type { RelayToDeviceMessage, RemoveMessage } from '../../../protocol/index.ts';
import { RemovalWaiters, removeFrame, sendRemoval, type RelayConnection } from '../../../protocol/device/index.ts';
import type { ActiveAccount, Db } from '../../lib/db.ts';
import type { Failure } from '../../lib/runtime-messages.ts';
import { unlockWithPrf, unwrapWithPrfKey } from '../../lib/webauthn-unlock.ts';
import { webCryptoDeviceCrypto } from '../../lib/webcrypto-device-crypto.ts';

/**
 * The worker's half of `remove` (section 4): the person removed an account and unlocked its
 * approval key, so the relay is told and unregisters the authenticator. With the PIN, the page
 * signs the frame (it holds the OPRF and the unwrapped key) over the nonce of the socket that is
 * open now, and this sends it only on that socket; with WebAuthn the page hands over the PRF
 * output and the key is unwrapped and wiped here. The relay's `revoked` then forgets the account
 * as any revocation does (lib/frame-handler.ts).
 */

const REMOVAL_TIMEOUT_MS = 15_000;

export interface RelayRemovalDeps {
  connection(relayOrigin: string): RelayConnection;
  readyTimeoutMs: number;
}

export class RelayRemovals {
  private readonly waiters = new Map<string, RemovalWaiters>();

  constructor(private readonly deps: RelayRemovalDeps) {}

  private waitersFor(relayOrigin: string): RemovalWaiters {
    let waiters = this.waiters.get(relayOrigin);
    if (!waiters) this.waiters.set(relayOrigin, (waiters = new RemovalWaiters()));
    return waiters;
  }

  /** Feeds every frame from `relayOrigin`; true when it was an `error` answering a removal. */
  take(relayOrigin: string, frame: RelayToDeviceMessage): boolean {
    return this.waiters.get(relayOrigin)?.take(frame) ?? false;
  }

  socketClosed(relayOrigin: string): void {
    this.waiters.get(relayOrigin)?.dropAll('offline');
  }

  /** A `remove` the page signed over `nonce`: sent only if that socket is still the open one. */
  async send(relayOrigin: string, nonce: string, frame: RemoveMessage): Promise<{ ok: true } | Failure> {
    const answer = await sendRemoval({
      connection: this.deps.connection(relayOrigin),
      nonce,
      frame,
      waiters: this.waitersFor(relayOrigin),
      timeoutMs: REMOVAL_TIMEOUT_MS,
    });
    return answer.ok ? answer : { ok: false, code: answer.code };
  }

  /** Unlocked by a WebAuthn PRF output: unwrap, sign over the open socket's nonce, wipe, send. */
  async withPrf(db: Db, account: ActiveAccount, prf: string): Promise<{ ok: true } | Failure> {
    const unlocked = await unlockWithPrf(db, prf, account);
    if (!unlocked.ok) return unlocked;
    const connection = this.deps.connection(account.relayOrigin);
    if (!(await connection.waitUntilReady(this.deps.readyTimeoutMs)) || !connection.nonce) return { ok: false, code: 'offline' };
    if (!connection.ready?.accepted.includes(account.deviceId)) return { ok: false, code: 'not_accepted' };
    const nonce = connection.nonce;
    const secret = await unwrapWithPrfKey(unlocked.unlock, account);
    let frame: RemoveMessage;
    try {
      const signer = webCryptoDeviceCrypto.approvalSigner(secret, account.publicKey);
      frame = await removeFrame({ relayOrigin: account.relayOrigin, nonce, deviceId: account.deviceId, signer });
    } finally {
      secret.fill(0);
    }
    return this.send(account.relayOrigin, nonce, frame);
  }
}
