import { describe, expect, it } from 'vitest';
import {
  connectStatement,
  decisionStatement,
  deviceActionStatement,
  pairStatement,
  ProtocolError,
  STATEMENT_TAGS,
} from '../../../protocol/index.ts';
import { CONNECT_PUBLIC_KEY, DEVICE_ID, ELEMENT, NONCE, NOW, PUBLIC_KEY, REQUEST_ID, TOKEN } from './examples.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const relayOrigin = 'http://127.0.0.1:8787';
const pair = {
  relayOrigin,
  pairingToken: TOKEN,
  publicKey: PUBLIC_KEY,
  connectPublicKey: CONNECT_PUBLIC_KEY,
  deviceName: 'Chromium on Linux',
};
const connect = { relayOrigin, nonce: NONCE, deviceId: DEVICE_ID };
const decision = {
  relayOrigin,
  requestId: REQUEST_ID,
  deviceId: DEVICE_ID,
  decision: 'approve',
  number: '07',
  signedAt: NOW,
  unlock: 'pin',
} as const;

function expectInvalid(build: () => Uint8Array) {
  let thrown: unknown;
  try {
    build();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe('invalid_request');
}

describe('STATEMENT_TAGS', () => {
  it('are exactly the tags of docs/protocol.md section 2', () => {
    expect(STATEMENT_TAGS).toEqual({
      pair: 'countersign/v1/pair',
      connect: 'countersign/v1/connect',
      decision: 'countersign/v1/decision',
      deviceAction: 'countersign/v1/device-action',
    });
  });
});

describe('pairStatement()', () => {
  it('joins the tag, relayOrigin, pairingToken, publicKey, connectPublicKey and deviceName with newlines', () => {
    expect(text(pairStatement(pair))).toBe(
      `countersign/v1/pair\n${relayOrigin}\n${TOKEN}\n${PUBLIC_KEY}\n${CONNECT_PUBLIC_KEY}\nChromium on Linux`,
    );
  });

  it('differs when the two keys are swapped', () => {
    const swapped = { ...pair, publicKey: CONNECT_PUBLIC_KEY, connectPublicKey: PUBLIC_KEY };
    expect(text(pairStatement(swapped))).not.toBe(text(pairStatement(pair)));
  });

  it('encodes the device name as UTF-8', () => {
    const bytes = pairStatement({ ...pair, deviceName: 'Zoë’s laptop' });
    expect(Buffer.from(bytes).toString('hex').endsWith(Buffer.from('Zoë’s laptop', 'utf8').toString('hex'))).toBe(true);
  });

  it.each(Object.keys(pair))('rejects a %s with a newline', (field) => {
    expectInvalid(() => pairStatement({ ...pair, [field]: 'one\ntwo' }));
  });

  it('rejects a field that ends in a newline', () => {
    expectInvalid(() => pairStatement({ ...pair, deviceName: 'Chromium\n' }));
  });
});

describe('connectStatement()', () => {
  it('joins the tag, relayOrigin, nonce and deviceId with newlines', () => {
    expect(text(connectStatement(connect))).toBe(`countersign/v1/connect\n${relayOrigin}\n${NONCE}\n${DEVICE_ID}`);
  });

  it.each(Object.keys(connect))('rejects a %s with a newline', (field) => {
    expectInvalid(() => connectStatement({ ...connect, [field]: '\n' }));
  });

  it('rejects a field that is not a string', () => {
    // @ts-expect-error: a caller outside TypeScript's reach (a decoded frame) passes a number
    expectInvalid(() => connectStatement({ ...connect, deviceId: 42 }));
  });
});

describe('decisionStatement()', () => {
  it('joins the tag and the seven fields, signedAt in decimal, unlock last', () => {
    expect(text(decisionStatement(decision))).toBe(
      `countersign/v1/decision\n${relayOrigin}\n${REQUEST_ID}\n${DEVICE_ID}\napprove\n07\n${NOW}\npin`,
    );
  });

  it('keeps an empty number for a denial as an empty field', () => {
    expect(text(decisionStatement({ ...decision, decision: 'deny', number: '', unlock: 'none' }))).toBe(
      `countersign/v1/decision\n${relayOrigin}\n${REQUEST_ID}\n${DEVICE_ID}\ndeny\n\n${NOW}\nnone`,
    );
  });

  it('writes a large signedAt in plain decimal, never in exponent form', () => {
    const signedAt = 9_007_199_254_740_991;
    expect(text(decisionStatement({ ...decision, signedAt })).endsWith('\n9007199254740991\npin')).toBe(true);
  });

  it('refuses an approve with unlock none: only the approval key approves', () => {
    expectInvalid(() => decisionStatement({ ...decision, unlock: 'none' }));
  });

  it('differs when any one field differs', () => {
    const base = text(decisionStatement(decision));
    expect(text(decisionStatement({ ...decision, number: '70' }))).not.toBe(base);
    expect(text(decisionStatement({ ...decision, decision: 'report', number: '' }))).not.toBe(base);
    expect(text(decisionStatement({ ...decision, signedAt: NOW + 1 }))).not.toBe(base);
    expect(text(decisionStatement({ ...decision, unlock: 'webauthn' }))).not.toBe(base);
  });

  it.each(['relayOrigin', 'requestId', 'deviceId', 'number'])('rejects a %s with a newline', (field) => {
    expectInvalid(() => decisionStatement({ ...decision, [field]: 'a\nb' }));
  });

  it('rejects a decision with a newline', () => {
    // @ts-expect-error: 'approve\n' is not a Decision, which is the point
    expectInvalid(() => decisionStatement({ ...decision, decision: 'approve\n' }));
  });

  it.each([NOW + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('rejects a signedAt of %s', (signedAt) => {
    expectInvalid(() => decisionStatement({ ...decision, signedAt }));
  });

  it('rejects a signedAt given as a string', () => {
    // @ts-expect-error: a string where a number belongs
    expectInvalid(() => decisionStatement({ ...decision, signedAt: String(NOW) }));
  });
});

describe('deviceActionStatement()', () => {
  it('joins the tag, relayOrigin, nonce, deviceId, action and detail with newlines', () => {
    expect(text(deviceActionStatement({ relayOrigin, nonce: NONCE, deviceId: DEVICE_ID, action: 'unlock-proof', detail: ELEMENT }))).toBe(
      `countersign/v1/device-action\n${relayOrigin}\n${NONCE}\n${DEVICE_ID}\nunlock-proof\n${ELEMENT}`,
    );
    expect(text(deviceActionStatement({ relayOrigin, nonce: NONCE, deviceId: DEVICE_ID, action: 'remove', detail: '' }))).toBe(
      `countersign/v1/device-action\n${relayOrigin}\n${NONCE}\n${DEVICE_ID}\nremove\n`,
    );
  });

  it('refuses an unknown action, a remove with a detail, a proof without one, and a newline in any field', () => {
    const base = { relayOrigin, nonce: NONCE, deviceId: DEVICE_ID };
    expect(() => deviceActionStatement({ ...base, action: 'approve' as never, detail: ELEMENT })).toThrow(ProtocolError);
    expect(() => deviceActionStatement({ ...base, action: 'remove', detail: ELEMENT })).toThrow(ProtocolError);
    expect(() => deviceActionStatement({ ...base, action: 'rekey', detail: '' })).toThrow(ProtocolError);
    expect(() => deviceActionStatement({ ...base, nonce: 'a\nb', action: 'unlock-proof', detail: ELEMENT })).toThrow(ProtocolError);
  });
});
