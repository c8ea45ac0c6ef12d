import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import { FAMILIAR_COOKIE } from '../store/familiar-browsers-store.ts';
import { describeUserAgent, type RequestContext } from './request-context.ts';

/** How many proxy hops TRUST_PROXY may name. */
export const MAX_TRUSTED_PROXIES = 10;

/**
 * IP, client key, browser and OS of whoever made the request, and the familiar-browser cookie it
 * holds (verified only when a limit needs it). `trustedProxies` is TRUST_PROXY (see clientAddress).
 */
export function clientContext(c: Context, trustedProxies: number): RequestContext {
  let socketAddress = '';
  try {
    socketAddress = getConnInfo(c).remote.address ?? '';
  } catch {
    socketAddress = '';
  }
  const ip = clientAddress(c.req.header('x-forwarded-for'), socketAddress, trustedProxies);
  const familiar = getCookie(c, FAMILIAR_COOKIE);
  return { ip, clientKey: clientKey(ip), ...describeUserAgent(c.req.header('user-agent')), ...(familiar ? { familiar } : {}) };
}

/**
 * The client's address behind `trustedProxies` proxies of our own. Each proxy appends the address
 * it saw to X-Forwarded-For, so the Nth entry from the right is what the outermost trusted proxy
 * saw; entries left of it were written by the client and are never believed. Without the header
 * (or with TRUST_PROXY=0) it is the socket's address. With fewer entries than N (a request that
 * came in through a shorter path) it is the leftmost entry, the farthest any proxy saw. An entry
 * that is not an IP address is not used: the socket's address stands in.
 *
 * @example clientAddress('6.6.6.6, 203.0.113.7', '10.0.0.2', 1) === '203.0.113.7'
 */
export function clientAddress(forwardedFor: string | undefined, socketAddress: string, trustedProxies: number): string {
  const socket = plainAddress(socketAddress) ?? '';
  if (trustedProxies <= 0 || forwardedFor === undefined) return socket || 'unknown';
  const entries = forwardedFor
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return socket || 'unknown';
  const chosen = entries[Math.max(0, entries.length - trustedProxies)]!;
  return plainAddress(chosen) ?? (socket || 'unknown');
}

/** An IP address without brackets, port or IPv4-mapped prefix; undefined when it is none. */
function plainAddress(raw: string): string | undefined {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
  return isIP(address) === 0 ? undefined : address;
}

/**
 * What per-client limits are keyed by: an IPv4 address as it is, an IPv6 address by its /64
 * prefix (one household or host usually holds a whole /64, so keying by address would let it
 * take a fresh key per request).
 *
 * @example clientKey('2001:db8:1:2:aaaa::1') === '2001:db8:1:2::/64'
 */
export function clientKey(ip: string): string {
  const address = plainAddress(ip);
  if (address === undefined) return ip;
  if (isIP(address) === 4) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case without leading zeros. */
function expandIpv6(address: string): string[] {
  let text = address.toLowerCase().split('%')[0]!;
  // A trailing dotted IPv4 part is two groups.
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) => parseInt(group, 16).toString(16));
}
