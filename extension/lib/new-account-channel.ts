import { ID_PATTERN } from '../../protocol/encoding.ts';
import type { ActiveAccount } from './db.ts';

/**
 * How the popup hands a freshly paired account to the worker, which stores it: the account holds
 * a non-extractable connect key (a CryptoKey, which runtime messages cannot carry), and keeping
 * the database and its schema library out of the popup keeps the extension within its size
 * budget. Only the extension's own pages share this origin's channels.
 */
export const NEW_ACCOUNT_CHANNEL = 'countersign-new-account';

export type NewAccountMessage = { kind: 'store'; account: ActiveAccount } | { kind: 'stored'; deviceId: string; ok: boolean };

const isText = (value: unknown, max = 2048) => typeof value === 'string' && value.length > 0 && value.length <= max;

/** The unconfirmed account a page sent, or null when anything about it is off. */
export function readNewAccount(data: unknown): ActiveAccount | null {
  if (typeof data !== 'object' || data === null || (data as { kind?: unknown }).kind !== 'store') return null;
  const account = (data as { account?: unknown }).account as Partial<ActiveAccount> | undefined;
  if (typeof account !== 'object' || account === null) return null;
  const key = account.connectKey;
  const fieldsOk =
    account.status === 'active' &&
    account.unconfirmed === true &&
    typeof account.deviceId === 'string' &&
    ID_PATTERN.test(account.deviceId) &&
    [account.relayOrigin, account.relayName, account.userId, account.upn, account.displayName, account.deviceName].every((v) =>
      isText(v, 512),
    ) &&
    isText(account.publicKey, 87) &&
    isText(account.connectPublicKey, 87) &&
    isText(account.pinWrap?.iv, 16) &&
    isText(account.pinWrap?.ciphertext) &&
    typeof account.createdAt === 'number' &&
    account.wrappedKey === undefined;
  const keyOk = key instanceof CryptoKey && key.algorithm.name === 'ECDSA' && !key.extractable && key.usages.includes('sign');
  return fieldsOk && keyOk ? (account as ActiveAccount) : null;
}

/** Page side: sends the account and waits for the worker to say it is stored. */
export function handOverNewAccount(account: ActiveAccount, timeoutMs = 10_000): Promise<boolean> {
  const channel = new BroadcastChannel(NEW_ACCOUNT_CHANNEL);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      channel.close();
      resolve(ok);
    };
    channel.onmessage = (event: MessageEvent<NewAccountMessage>) => {
      if (event.data?.kind === 'stored' && event.data.deviceId === account.deviceId) done(event.data.ok);
    };
    channel.postMessage({ kind: 'store', account } satisfies NewAccountMessage);
  });
}
