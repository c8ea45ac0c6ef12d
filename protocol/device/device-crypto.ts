import { generateDeviceKeyPair, signStatement } from '../device-keys.ts';

/**
 * The crypto a device brings (section 2), injected so the core stays free of WebCrypto, Node
 * and extension APIs. The approval key comes out as a raw secret because the device must wrap
 * it at once; the connect key is whatever handle the device keeps (a non-extractable CryptoKey
 * in the extension, raw bytes in the virtual device).
 */
export interface StatementSigner {
  /** base64url of the uncompressed point */
  readonly publicKey: string;
  sign(statement: Uint8Array): Promise<string>;
}

export interface DeviceCrypto<ConnectKey> {
  newApprovalKey(): Promise<{ secretKey: Uint8Array; publicKey: string }>;
  newConnectKey(): Promise<{ key: ConnectKey; publicKey: string }>;
  /** Signs with the unwrapped approval secret; the caller wipes the bytes after the signature. */
  approvalSigner(secretKey: Uint8Array, publicKey: string): StatementSigner;
  connectSigner(key: ConnectKey, publicKey: string): StatementSigner;
}

/** Signs with a raw P-256 secret (noble). The caller owns the bytes and wipes them. */
export function secretKeySigner(secretKey: Uint8Array, publicKey: string): StatementSigner {
  return { publicKey, sign: async (statement) => signStatement(statement, secretKey) };
}

/** Both keys as raw secrets: for headless devices (virtual device, bench) that keep them in a file or memory. */
export const rawKeyCrypto: DeviceCrypto<Uint8Array> = {
  newApprovalKey: async () => generateDeviceKeyPair(),
  newConnectKey: async () => {
    const { secretKey, publicKey } = generateDeviceKeyPair();
    return { key: secretKey, publicKey };
  },
  approvalSigner: secretKeySigner,
  connectSigner: (key, publicKey) => secretKeySigner(key, publicKey),
};
