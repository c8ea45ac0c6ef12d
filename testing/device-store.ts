import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { IdSchema, PublicKeySchema, UpnSchema, fromBase64Url, normalizeOrigin, publicKeyOf } from '../protocol/index.ts';

/**
 * The virtual device's key file: every account it holds (protocol revision 3). The approval key
 * (signs `pair`, `approve` and the `device-action` frames) is kept only wrapped: under the key the
 * relay's OPRF evaluation of the PIN gives (section 4a), and a second copy under the virtual
 * authenticator (the stand-in for WebAuthn, whose secret lives in another file or in memory).
 * Nothing here tests a PIN offline: no PIN, no PIN hash, no check value. The connect key (signs
 * `connect`, and `deny`/`report` with unlock `none`) is kept raw, as section 2 allows.
 *
 * A JSON file written 0600 through a temporary file and a rename, so a crash never leaves half a
 * key file; without a path it lives only in memory (tests).
 *
 * Revision 2 files (version 2) kept the approval key raw, with no PIN at all. They are read with
 * that raw key as `legacyApprovalKey`; the device upgrades such an account at its next approval
 * (the PIN given then becomes its PIN: evaluate, wrap, confirm) and only then drops the raw key.
 */

export const KEY_FILE_VERSION = 3;

const OriginSchema = v.pipe(
  v.string(),
  v.check((value) => normalizeOrigin(value) === value, 'must be scheme://host[:port]'),
);

/** base64url of a 32-byte P-256 private scalar */
const SecretKeySchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url'));

/** AES-256-GCM of a 32-byte secret: 12-byte nonce, 48 bytes of ciphertext and tag. */
const WrappedKeySchema = v.object({
  iv: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{16}$/, 'must be 12 bytes of base64url')),
  ciphertext: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{64}$/, 'must be 48 bytes of base64url')),
});

function isKeyPair(secretKey: string, publicKey: string): boolean {
  try {
    return publicKeyOf(fromBase64Url(secretKey)) === publicKey;
  } catch {
    return false;
  }
}

const AccountFields = {
  relayOrigin: OriginSchema,
  upn: UpnSchema,
  displayName: v.string(),
  deviceId: IdSchema,
  /** The approval key's public half, named as in the redeem body. */
  publicKey: PublicKeySchema,
  connectPublicKey: PublicKeySchema,
  /** Secret of the connect key (signs `connect`, and `deny`/`report` with unlock `none`). */
  connectKey: SecretKeySchema,
};

const DeviceAccountSchema = v.pipe(
  v.object({
    ...AccountFields,
    /** The approval key under the PIN wrapping key (section 4a); absent only before the upgrade. */
    pinWrapped: v.optional(WrappedKeySchema),
    /** The approval key under the virtual authenticator (unlock `webauthn`, no evaluation). */
    webauthnWrapped: v.optional(WrappedKeySchema),
    /** Revision 2's raw approval key, kept until the account's upgrade is confirmed. */
    legacyApprovalKey: v.optional(SecretKeySchema),
  }),
  v.forward(
    v.check((account) => account.publicKey !== account.connectPublicKey, 'must differ from publicKey'),
    ['connectPublicKey'],
  ),
  v.forward(
    v.check((account) => isKeyPair(account.connectKey, account.connectPublicKey), 'is not the secret of connectPublicKey'),
    ['connectKey'],
  ),
  v.forward(
    v.check(
      (account) => account.legacyApprovalKey === undefined || isKeyPair(account.legacyApprovalKey, account.publicKey),
      'is not the secret of publicKey',
    ),
    ['legacyApprovalKey'],
  ),
  v.check((account) => account.pinWrapped !== undefined || account.legacyApprovalKey !== undefined, 'holds no approval key'),
);

/** A revision 2 account: both secrets raw. */
const RevisionTwoAccountSchema = v.object({ ...AccountFields, approvalKey: SecretKeySchema });

const KeyFileSchema = v.object({ version: v.literal(KEY_FILE_VERSION), accounts: v.array(DeviceAccountSchema) });
const RevisionTwoFileSchema = v.object({ version: v.literal(2), accounts: v.array(RevisionTwoAccountSchema) });

export type DeviceAccount = v.InferOutput<typeof DeviceAccountSchema>;
/** What the device shows about an account: everything but its secrets. */
export type AccountInfo = Pick<DeviceAccount, 'relayOrigin' | 'upn' | 'displayName' | 'deviceId' | 'publicKey' | 'connectPublicKey'>;

export function accountInfo({ relayOrigin, upn, displayName, deviceId, publicKey, connectPublicKey }: DeviceAccount): AccountInfo {
  return { relayOrigin, upn, displayName, deviceId, publicKey, connectPublicKey };
}

/**
 * `outdated_key_file`: written for protocol revision 1 (one key per account), whose accounts
 * cannot sign later statements and must be paired again. `invalid_key_file`: anything else.
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
    if (typeof json === 'object' && json !== null && (json as { version?: unknown }).version === 2) {
      const parsed = v.safeParse(RevisionTwoFileSchema, json);
      if (!parsed.success) throw invalidFile(path, parsed.issues[0]);
      // Read as revision 3 accounts awaiting their upgrade; the file is rewritten at the next change.
      return new DeviceStore(
        path,
        parsed.output.accounts.map(({ approvalKey, ...account }) => ({ ...account, legacyApprovalKey: approvalKey })),
      );
    }
    const parsed = v.safeParse(KeyFileSchema, json);
    if (!parsed.success) throw invalidFile(path, parsed.issues[0]);
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

function invalidFile(path: string, issue: v.BaseIssue<unknown>): DeviceStoreError {
  const field = v.getDotPath(issue) ?? 'file';
  return new DeviceStoreError('invalid_key_file', `key file ${path} is not valid (${field}: ${issue.message})`);
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
    ' cannot sign for revision 2 and later, which need an approval key and a connect key per account.' +
    ' Pair them again: move the file away, ask for new pairing links, and run' +
    ` npm run device -- pair '<link>' for each.`
  );
}
