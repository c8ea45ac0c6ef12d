import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../../../relay-server/config.ts';
import {
  PinKeyMismatch,
  PinSealingKey,
  checkPinSealingKey,
  parsePinKey,
  readOrCreatePinKeyFile,
} from '../../../relay-server/pin/pin-sealing-key.ts';
import { migrateToLatest } from '../../../relay-server/store/migrations.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';

const KEY = Buffer.alloc(32, 7);

describe('PinSealingKey', () => {
  it('opens what it sealed for the same device only, and never shows the key', () => {
    const sealing = new PinSealingKey(KEY);
    const secret = new Uint8Array(32).fill(9);
    const sealed = sealing.seal(secret, 'device-a');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(Buffer.from(sealed.slice(3), 'base64url').includes(Buffer.from(secret))).toBe(false);
    expect(sealing.open(sealed, 'device-a')).toEqual(secret);
    expect(() => sealing.open(sealed, 'device-b')).toThrow();
    expect(() => new PinSealingKey(Buffer.alloc(32, 8)).open(sealed, 'device-a')).toThrow();
    expect(sealing.seal(secret, 'device-a')).not.toBe(sealed);
  });
});

describe('where the PIN sealing key comes from', () => {
  it('reads 64 hex digits or base64url, nothing shorter', () => {
    expect(parsePinKey('07'.repeat(32))).toEqual(KEY);
    expect(parsePinKey(KEY.toString('base64url'))).toEqual(KEY);
    expect(parsePinKey(KEY.toString('base64'))).toEqual(KEY);
    expect(parsePinKey('07'.repeat(31))).toBeUndefined();
    expect(parsePinKey('short')).toBeUndefined();
  });

  it('makes DATA_DIR/pin-key once, mode 0600, and reads it back after', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-pin-key-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const made = readOrCreatePinKeyFile(dir);
    expect(made).toHaveLength(32);
    expect(statSync(path.join(dir, 'pin-key')).mode & 0o777).toBe(0o600);
    expect(readOrCreatePinKeyFile(dir)).toEqual(made);
  });

  it('takes PIN_KEY or PIN_KEY_FILE from the environment, and refuses a bad one or both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'countersign-pin-env-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const base = { DATA_DIR: dir, ADMIN_TOKEN: 'a-test-admin-token-0123456789' };
    expect(loadConfig({ ...base, PIN_KEY: '07'.repeat(32) }).config.pinKey).toEqual(KEY);
    expect(loadConfig(base).config.pinKey).toBeUndefined();
    expect(() => loadConfig({ ...base, PIN_KEY: 'nope' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, PIN_KEY_FILE: path.join(dir, 'missing') })).toThrow(/PIN_KEY_FILE/);
    expect(() => loadConfig({ ...base, PIN_KEY: '07'.repeat(32), PIN_KEY_FILE: '/etc/hostname' })).toThrow(/not both/);
  });
});

describe('checkPinSealingKey()', () => {
  it('records the first key and refuses another one on the same database', async () => {
    const db = openSqlite(':memory:');
    onTestFinished(() => db.destroy());
    await migrateToLatest(db);
    await checkPinSealingKey(db, new PinSealingKey(KEY));
    await checkPinSealingKey(db, new PinSealingKey(KEY));
    await expect(checkPinSealingKey(db, new PinSealingKey(Buffer.alloc(32, 1)))).rejects.toThrow(PinKeyMismatch);
  });
});
