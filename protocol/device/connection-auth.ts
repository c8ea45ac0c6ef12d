import { LIMITS } from '../limits.ts';
import type { AuthMessage } from '../messages.ts';
import { connectStatement } from '../statements.ts';
import type { StatementSigner } from './device-crypto.ts';

/**
 * The `auth` answer to `hello` (section 4): each account on this relay signs the `connect`
 * statement with its connect key. At most 64 entries, each deviceId once (the relay treats
 * anything else as malformed). Null when there is nothing to authenticate.
 */
export async function authFrame(input: {
  relayOrigin: string;
  nonce: string;
  accounts: ReadonlyArray<{ deviceId: string; connect: StatementSigner }>;
}): Promise<AuthMessage | null> {
  const seen = new Set<string>();
  const chosen = [];
  for (const account of input.accounts) {
    if (seen.has(account.deviceId)) continue;
    seen.add(account.deviceId);
    chosen.push(account);
    if (chosen.length === LIMITS.maxCredentialsPerSocket) break;
  }
  if (chosen.length === 0) return null;
  const credentials = await Promise.all(
    chosen.map(async ({ deviceId, connect }) => ({
      deviceId,
      signature: await connect.sign(connectStatement({ relayOrigin: input.relayOrigin, nonce: input.nonce, deviceId })),
    })),
  );
  return { type: 'auth', credentials };
}
