import { toBase64Url } from '../../../protocol/index.ts';

/**
 * Realistic examples of every message and body of docs/protocol.md, shared by the schema tests.
 * Ids are canonical base64url of 16 fixed bytes, so they read as ids and decode cleanly.
 */
export const idOf = (byte: number) => toBase64Url(new Uint8Array(16).fill(byte));

export const REQUEST_ID = idOf(1);
export const DEVICE_ID = idOf(2);
export const OTHER_DEVICE_ID = idOf(3);
export const TOKEN = idOf(4);
export const NONCE = toBase64Url(new Uint8Array(32).fill(5));
export const SIGNATURE = toBase64Url(new Uint8Array(64).fill(6));
/** A real P-256 point (the pair vector's), 65 bytes uncompressed. */
export const PUBLIC_KEY = 'BCqRJy7k1Pk_wC2B6lDOUPZGqq_eZ-gfCisAY378qzgCwpI8wmYArLVXFYmhrYpEYxd-_-c3SDAddUg82_DkttU';
/** Another real P-256 point (the connect vector's): the account's connect key. */
export const CONNECT_PUBLIC_KEY = 'BDRuKenKCsNnMngVTvB5l4C-YHPwTdFvt5nkEbNg9fW7dc6oYjKUuLvTI4K3XyDqqfyiJ-VuLA0EtOBtXzCD8pw';
export const NOW = 1_767_225_600_000;
/** Two real P-256 OPRF elements (blinded PINs), 33 bytes compressed. */
export const ELEMENT = 'A3y5pZT9kJjOWT0rTnPdfl7sbKdaVlpG-QnNSoGKelzA';
export const OTHER_ELEMENT = 'AnRAygUfULbvh8Q3vJfOyvl_qPydThrgQ1hTxAw7z7V3';

export const hello = { type: 'hello', nonce: NONCE, serverTime: NOW };
export const ready = {
  type: 'ready',
  accepted: [DEVICE_ID],
  rejected: [{ deviceId: OTHER_DEVICE_ID, code: 'device_revoked' }],
};
export const challengeTyped = {
  type: 'challenge',
  requestId: REQUEST_ID,
  deviceId: DEVICE_ID,
  account: { upn: 'alice@demo.test', displayName: 'Alice Example' },
  app: { name: 'Payroll' },
  context: { ip: '203.0.113.7', location: 'Lisbon, Portugal', browser: 'Chrome 156', os: 'Linux' },
  match: { mode: 'type', digits: 2 },
  createdAt: NOW,
  expiresAt: NOW + 120_000,
};
export const challengeChosen = {
  ...challengeTyped,
  app: null,
  context: { ip: '2001:db8::1', location: null, browser: 'Firefox 140', os: 'Windows' },
  match: { mode: 'choose', digits: 3, choices: ['407', '092', '815'] },
};
export const cancel = { type: 'cancel', requestId: REQUEST_ID, reason: 'approved_elsewhere' };
export const result = { type: 'result', requestId: REQUEST_ID, outcome: 'approved' };
export const resultRejected = { type: 'result', requestId: REQUEST_ID, outcome: 'rejected', code: 'clock_skew' };
export const revoked = { type: 'revoked', deviceId: DEVICE_ID };
export const ping = { type: 'ping', t: NOW };
export const notice = { type: 'notice', deviceId: DEVICE_ID, kind: 'authenticator_added', name: 'Firefox on Windows', at: NOW };
export const noticePinFailure = { ...notice, kind: 'pin_failure', name: 'Chromium on Linux' };
export const error = { type: 'error', code: 'malformed_frame', message: 'requestId is invalid' };
export const errorForDevice = { type: 'error', code: 'pin_locked', message: 'PIN approvals are locked', deviceId: DEVICE_ID };
export const unlocked = { type: 'unlocked', deviceId: DEVICE_ID, evaluated: OTHER_ELEMENT, attemptsLeft: 9 };
export const rekeyed = { type: 'rekeyed', deviceId: DEVICE_ID, evaluated: OTHER_ELEMENT };

export const auth = {
  type: 'auth',
  credentials: [
    { deviceId: DEVICE_ID, signature: SIGNATURE },
    { deviceId: OTHER_DEVICE_ID, signature: SIGNATURE },
  ],
};
export const decisionApprove = {
  type: 'decision',
  requestId: REQUEST_ID,
  deviceId: DEVICE_ID,
  decision: 'approve',
  number: '07',
  signedAt: NOW + 5_000,
  unlock: 'pin',
  signature: SIGNATURE,
};
export const decisionDeny = { ...decisionApprove, decision: 'deny', number: '', unlock: 'none' };
export const pong = { type: 'pong', t: NOW };
export const unlock = { type: 'unlock', deviceId: DEVICE_ID, blinded: ELEMENT };
export const unlockProof = { type: 'unlock_proof', deviceId: DEVICE_ID, blinded: ELEMENT, signature: SIGNATURE };
export const rekey = { type: 'rekey', deviceId: DEVICE_ID, blinded: ELEMENT, signature: SIGNATURE };
export const remove = { type: 'remove', deviceId: DEVICE_ID, signature: SIGNATURE };
export const claim = { type: 'claim', deviceId: DEVICE_ID, code: '04817263' };

export const redeemPairingBody = {
  token: TOKEN,
  publicKey: PUBLIC_KEY,
  connectPublicKey: CONNECT_PUBLIC_KEY,
  deviceName: 'Chromium on Linux',
  pinBlinded: ELEMENT,
  signature: SIGNATURE,
};
export const redeemPairingResponse = {
  deviceId: DEVICE_ID,
  account: { userId: idOf(9), upn: 'alice@demo.test', displayName: 'Alice Example' },
  relay: { origin: 'http://127.0.0.1:8787', name: 'Countersign Demo' },
  pinEvaluated: OTHER_ELEMENT,
};
export const createSigninBody = { upn: 'alice@demo.test', app: 'payroll', password: 'countersign-demo' };
export const createSigninBodyPasswordless = { upn: 'alice@demo.test' };
export const createSigninResponse = {
  requestId: REQUEST_ID,
  number: '07',
  digits: 2,
  expiresAt: NOW + 120_000,
  browserToken: toBase64Url(new Uint8Array(32).fill(8)),
};
export const signinStatus = { status: 'pending' };
export const signinStatusWithReason = { status: 'cancelled', reason: 'superseded' };
export const completeSigninResponse = { session: { upn: 'alice@demo.test', displayName: 'Alice Example', amr: ['push', 'pwd'] } };
export const policy = {
  enabled: true,
  targets: ['staff', 'contractors'],
  excludeGroups: ['admins'],
  mode: 'passwordless',
  match: { mode: 'choose', digits: 3 },
  showAppName: true,
  showLocation: false,
  requestTtlSeconds: 120,
  maxPushesPer10Min: 5,
  maxUnfamiliarPushesPerHour: 20,
  lockoutAfterFailures: 10,
};
export const createUserBody = {
  upn: 'bob@demo.test',
  displayName: 'Bob Example',
  password: 'countersign-demo',
  groups: ['staff', 'contractors'],
};
export const issueTapBody = { lifetimeMinutes: 60, oneTime: true };
