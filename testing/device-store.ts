import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { IdSchema, PublicKeySchema, UpnSchema, fromBase64Url, normalizeOrigin, publicKeyOf } from '../protocol/index.ts';

/**
 * The virtual device's key file: every account it holds, each with its two key pairs (protocol
 * revision 2: the approval key signs `pair` and `approve`, the connect key signs `connect`,
 * `deny` and `report`). A JSON file written 0600 through a temporary file and a rename, so a
 * crash never leaves half a key file; without a path it lives only in memory (tests).
 */

export const KEY_FILE_VERSION = 2;

const OriginSchema = v.pipe(
  v.string(),
  v.check((value) => normalizeOrigin(value) === value, 'must be scheme://host[:port]'),
);

/** base64url of a 32-byte P-256 private scalar */
const SecretKeySchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'));

function isKeyPair(secretKey: string, publicKey: string): boolean {
  try {
    return publicKeyOf(fromBase64Url(secretKey)) === publicKey;
  } catch {
    return false;
  }
}

const DeviceAccountSchema = v.pipe(
  v.object({
    relayOrigin: OriginSchema,
    upn: UpnSchema,
    displayName: v.string(),
    deviceId: IdSchema,
    /** The approval key's public half, named as in the redeem body. */
    publicKey: PublicKeySchema,
    connectPublicKey: PublicKeySchema,
    /** Secret of the approval key (signs `pair` and every `approve`). */
    approvalKey: SecretKeySchema,
    /** Secret of the connect key (signs `connect`, and `deny`/`report` with unlock `none`). */
    connectKey: SecretKeySchema,
  }),
  v.forward(
    v.check((account) => account.publicKey !== account.connectPublicKey, 'must differ from publicKey'),
    ['connectPublicKey'],
  ),
  v.forward(
    v.check((account) => isKeyPair(account.approvalKey, account.publicKey), 'is not the secret of publicKey'),
    ['approvalKey'],
  ),
  v.forward(
    v.check((account) => isKeyPair(account.connectKey, account.connectPublicKey), 'is not the secret of connectPublicKey'),
    ['connectKey'],
  ),
);

const KeyFileSchema = v.object({ version: v.literal(KEY_FILE_VERSION), accounts: v.array(DeviceAccountSchema) });

export type DeviceAccount = v.InferOutput<typeof DeviceAccountSchema>;
/** What the device shows about an account: everything but the two private keys. */
export type AccountInfo = Omit<DeviceAccount, 'approvalKey' | 'connectKey'>;

export function accountInfo({ approvalKey: _approval, connectKey: _connect, ...info }: DeviceAccount): AccountInfo {
  return info;
}

/**
 * `outdated_key_file`: written for protocol revision 1 (one key per account), whose accounts
 * cannot sign revision 2 statements and must be paired again. `invalid_key_file`: anything else.
 */
export class DeviceStoreError extends Error {
  constructor(
    readonly code: 'invalid_key_file' | 'outdated_key_file',
    message: string,
  ) {
    super(message);
    this.name = 'DeviceStoreError';
  }
}

export class DeviceStore {
  /** Writes run one after another, each writing the latest accounts, so the file ends current. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string | undefined,
    private accounts: DeviceAccount[],
  ) {}

  /**
   * Reads the key file at `path` (an absent file is an empty store), or makes an in-memory store.
   * Throws `DeviceStoreError` for a file it cannot use, including a revision 1 file.
   */
  static async open(path?: string): Promise<DeviceStore> {
    if (path === undefined) return new DeviceStore(undefined, []);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new DeviceStore(path, []);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DeviceStoreError('invalid_key_file', `key file ${path} is not JSON`);
    }
    if (typeof json === 'object' && json !== null && (json as { version?: unknown }).version === 1) {
      throw new DeviceStoreError('outdated_key_file', outdatedMessage(path, (json as { accounts?: unknown }).accounts));
    }
    const parsed = v.safeParse(KeyFileSchema, json);
    if (!parsed.success) {
      const issue = parsed.issues[0];
      const field = v.getDotPath(issue) ?? 'file';
      throw new DeviceStoreError('invalid_key_file', `key file ${path} is not valid (${field}: ${issue.message})`);
    }
    return new DeviceStore(path, parsed.output.accounts);
  }

  list(): readonly DeviceAccount[] {
    return this.accounts;
  }

  find(deviceId: string): DeviceAccount | undefined {
    return this.accounts.find((account) => account.deviceId === deviceId);
  }

  async add(account: DeviceAccount): Promise<void> {
    const checked = v.parse(DeviceAccountSchema, account);
    this.accounts = [...this.accounts.filter((existing) => existing.deviceId !== checked.deviceId), checked];
    await this.save();
  }

  /**
   * Returns the forgotten account, or undefined when the device did not hold it. The account is
   * gone from `list()` at once; the promise settles when the file is written.
   */
  async remove(deviceId: string): Promise<DeviceAccount | undefined> {
    const removed = this.find(deviceId);
    if (!removed) return undefined;
    this.accounts = this.accounts.filter((account) => account.deviceId !== deviceId);
    await this.save();
    return removed;
  }

  private save(): Promise<void> {
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    const written = this.writing.then(() => this.write(path));
    this.writing = written.catch(() => undefined);
    return written;
  }

  private async write(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
    const body = `${JSON.stringify({ version: KEY_FILE_VERSION, accounts: this.accounts }, null, 2)}\n`;
    try {
      // A fresh file each time, so the mode applies; the rename replaces the old file at once.
      await writeFile(temporary, body, { mode: 0o600, flag: 'wx' });
      await rename(temporary, path);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }
}

/** Names the accounts a revision 1 file holds (as far as it can read them) and what to do. */
function outdatedMessage(path: string, accounts: unknown): string {
  const named = (Array.isArray(accounts) ? accounts : [])
    .map((account: unknown) => {
      const { upn, relayOrigin } = (typeof account === 'object' && account !== null ? account : {}) as Record<string, unknown>;
      return typeof upn === 'string' && typeof relayOrigin === 'string' ? `${upn} on ${relayOrigin}` : null;
    })
    .filter((name): name is string => name !== null);
  const shown = named.length > 5 ? [...named.slice(0, 5), `and ${named.length - 5} more`] : named;
  return (
    `key file ${path} was written under protocol revision 1 (one key per account)` +
    (shown.length > 0 ? `; its accounts (${shown.join(', ')})` : '; its accounts') +
    ' cannot sign for revision 2, which needs an approval key and a connect key per account.' +
    ' Pair them again: move the file away, ask for new pairing links, and run' +
    ` npm run device -- pair '<link>' for each.`
  );
}
