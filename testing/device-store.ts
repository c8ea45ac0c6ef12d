import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { IdSchema, PublicKeySchema, UpnSchema, normalizeOrigin } from '../protocol/index.ts';

/**
 * The virtual device's key file: every account it holds, with its private key. A JSON file
 * written 0600 through a temporary file and a rename, so a crash never leaves half a key file;
 * without a path it lives only in memory (tests).
 */

const OriginSchema = v.pipe(
  v.string(),
  v.check((value) => normalizeOrigin(value) === value, 'must be scheme://host[:port]'),
);

const DeviceAccountSchema = v.object({
  relayOrigin: OriginSchema,
  upn: UpnSchema,
  displayName: v.string(),
  deviceId: IdSchema,
  publicKey: PublicKeySchema,
  /** base64url of the 32-byte P-256 private scalar */
  secretKey: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 bytes of base64url')),
});

const KeyFileSchema = v.object({ version: v.literal(1), accounts: v.array(DeviceAccountSchema) });

export type DeviceAccount = v.InferOutput<typeof DeviceAccountSchema>;
/** What the device shows about an account: everything but the private key. */
export type AccountInfo = Omit<DeviceAccount, 'secretKey'>;

export class DeviceStore {
  /** Writes run one after another, each writing the latest accounts, so the file ends current. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly path: string | undefined,
    private accounts: DeviceAccount[],
  ) {}

  /** Reads the key file at `path` (an absent file is an empty store), or makes an in-memory store. */
  static async open(path?: string): Promise<DeviceStore> {
    if (path === undefined) return new DeviceStore(undefined, []);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new DeviceStore(path, []);
      throw error;
    }
    const parsed = v.safeParse(KeyFileSchema, JSON.parse(text));
    if (!parsed.success) {
      const field = v.getDotPath(parsed.issues[0]) ?? 'file';
      throw new Error(`key file ${path} is not valid (${field})`);
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
    const body = `${JSON.stringify({ version: 1, accounts: this.accounts }, null, 2)}\n`;
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
