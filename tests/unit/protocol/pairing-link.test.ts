import { describe, expect, it } from 'vitest';
import { buildPairingLink, normalizeOrigin, parsePairingLink } from '../../../protocol/index.ts';
import { TOKEN } from './examples.ts';

const offer = { relayOrigin: 'http://127.0.0.1:8787', token: TOKEN, upn: 'alice@demo.test' };
const linkWith = (fragment: string, origin = offer.relayOrigin) => `${origin}/pair#${fragment}`;
const relayParam = encodeURIComponent(offer.relayOrigin);

describe('buildPairingLink()', () => {
  it('writes the link of docs/protocol.md section 3', () => {
    expect(buildPairingLink(offer)).toBe(
      `http://127.0.0.1:8787/pair#v=1&token=${TOKEN}&upn=alice%40demo.test&relay=http%3A%2F%2F127.0.0.1%3A8787`,
    );
  });

  it('round-trips through parsePairingLink()', () => {
    expect(parsePairingLink(buildPairingLink(offer))).toEqual(offer);
    const https = { relayOrigin: 'https://signin.example.org', token: TOKEN, upn: 'o+brien&co@example.org' };
    expect(parsePairingLink(buildPairingLink(https))).toEqual(https);
  });
});

describe('parsePairingLink()', () => {
  it('accepts the parameters in any order', () => {
    expect(parsePairingLink(linkWith(`relay=${relayParam}&upn=alice%40demo.test&token=${TOKEN}&v=1`))).toEqual(offer);
  });

  it.each(['v=2', 'v=', 'v=01', ''])('rejects version "%s"', (version) => {
    expect(parsePairingLink(linkWith(`${version}&token=${TOKEN}&upn=a%40b&relay=${relayParam}`))).toBeNull();
  });

  it.each([
    ['missing', ''],
    ['too short', TOKEN.slice(1)],
    ['too long', `${TOKEN}A`],
    ['with a foreign character', `${TOKEN.slice(0, 21)}%2B`],
  ])('rejects a token that is %s', (_, token) => {
    expect(parsePairingLink(linkWith(`v=1&token=${token}&upn=a%40b&relay=${relayParam}`))).toBeNull();
  });

  it('rejects a link without upn or relay', () => {
    expect(parsePairingLink(linkWith(`v=1&token=${TOKEN}&relay=${relayParam}`))).toBeNull();
    expect(parsePairingLink(linkWith(`v=1&token=${TOKEN}&upn=a%40b`))).toBeNull();
  });

  it('rejects a relay parameter that does not match the link’s own origin', () => {
    const evil = encodeURIComponent('https://evil.example');
    expect(parsePairingLink(linkWith(`v=1&token=${TOKEN}&upn=a%40b&relay=${evil}`))).toBeNull();
    expect(parsePairingLink(linkWith(`v=1&token=${TOKEN}&upn=a%40b&relay=${relayParam}`, 'https://evil.example'))).toBeNull();
    const otherPort = encodeURIComponent('http://127.0.0.1:8788');
    expect(parsePairingLink(linkWith(`v=1&token=${TOKEN}&upn=a%40b&relay=${otherPort}`))).toBeNull();
  });

  it('rejects a link on another path than /pair', () => {
    expect(parsePairingLink(`${offer.relayOrigin}/login#v=1&token=${TOKEN}&upn=a%40b&relay=${relayParam}`)).toBeNull();
  });

  it.each(['javascript:alert(1)', 'file:///etc/passwd', 'ftp://127.0.0.1:8787', 'chrome-extension://abc'])(
    'rejects a relay with the non-http scheme of %s',
    (relay) => {
      expect(parsePairingLink(`${relay}/pair#v=1&token=${TOKEN}&upn=a%40b&relay=${encodeURIComponent(relay)}`)).toBeNull();
    },
  );

  it('rejects text with no fragment at all', () => {
    expect(parsePairingLink(`${offer.relayOrigin}/pair?v=1&token=${TOKEN}&upn=a%40b&relay=${relayParam}`)).toBeNull();
    expect(parsePairingLink('not a link')).toBeNull();
  });
});

describe('normalizeOrigin()', () => {
  it.each([
    ['http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
    ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787'],
    ['HTTPS://Signin.Example.ORG', 'https://signin.example.org'],
    ['https://signin.example.org:443', 'https://signin.example.org'],
    ['http://localhost:80/', 'http://localhost'],
    ['http://[::1]:8787', 'http://[::1]:8787'],
  ])('turns %s into %s', (value, origin) => {
    expect(normalizeOrigin(value)).toBe(origin);
  });

  it.each([
    'ftp://example.org',
    'javascript:alert(1)',
    'http://example.org/path',
    'http://example.org/?q=1',
    'http://example.org/#frag',
    'http://user:pass@example.org',
    'example.org',
    '',
  ])('rejects %s', (value) => {
    expect(normalizeOrigin(value)).toBeNull();
  });
});
