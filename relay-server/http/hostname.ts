import { isIP } from 'node:net';

/** A DNS name of LDH labels (letters, digits, hyphens), each 1..63 characters, 253 in all. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A hostname as docs/protocol.md section 1 compares them: lowercased, without port or trailing dot.
 * Accepts a bare name or IP address, optionally with `:port` (IPv6 in brackets). Anything else
 * (non-ASCII, userinfo, paths, empty labels) is undefined: an IDN must come as its `xn--` form.
 *
 * @example normalizeHostname('Dash.Example.com.:8443') === 'dash.example.com'
 */
export function normalizeHostname(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let host = raw.trim().toLowerCase();
  if (host === '' || host.length > 300) return undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(host);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? `[${bracketed[1]}]` : undefined;
  const withPort = /^([^:]*):(\d{1,5})$/.exec(host);
  if (withPort) host = withPort[1]!;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (isIP(host) === 4) return host;
  if (host.length === 0 || host.length > 253) return undefined;
  return host.split('.').every((label) => LABEL.test(label)) ? host : undefined;
}

/** Whether `host` is `domain` or a name under it (both normalized). */
export function isUnderDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}
