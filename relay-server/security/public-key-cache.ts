import type { KeyObject } from 'node:crypto';
import { publicKeyFromPoint } from './verify-signature.ts';

/**
 * Device public keys imported for node:crypto, the most recently used kept. An imported P-256 key
 * holds about 3 KiB of OpenSSL memory, and an authenticated socket has two per device: kept on
 * every socket, they were a third of the relay's memory per connected device. Sockets keep the
 * points and import on use (about 60 µs); keys in use stay here, so an unlock, its proof and the
 * approval import once.
 */
export class PublicKeyCache {
  private readonly keys = new Map<string, KeyObject>();

  constructor(private readonly capacity = 1_024) {}

  /** The imported key of an encoded point; throws like `publicKeyFromPoint` on a bad one. */
  get(point: string): KeyObject {
    let key = this.keys.get(point);
    if (key) {
      // Map keeps insertion order: moved to the end, it is the last to go.
      this.keys.delete(point);
    } else {
      key = publicKeyFromPoint(point);
      if (this.keys.size >= this.capacity) this.keys.delete(this.keys.keys().next().value!);
    }
    this.keys.set(point, key);
    return key;
  }

  get size(): number {
    return this.keys.size;
  }
}
