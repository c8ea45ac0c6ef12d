import { BlockList, isIP } from 'node:net';

/** FORWARD_AUTH_PROXIES when unset: the proxy runs on the relay's own machine. */
export const DEFAULT_FORWARD_AUTH_PROXIES = '127.0.0.0/8,::1';

/**
 * The socket peers allowed to ask the forward-auth check (docs/protocol.md section 10): a list of
 * IP addresses and CIDR ranges. Only the socket's own address counts; X-Forwarded-For is never
 * read here, since a client could write it.
 */
export class TrustedProxies {
  private readonly list = new BlockList();

  private constructor(readonly entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(bits), family);
    }
  }

  /** Parses `127.0.0.1, 10.0.0.0/8, ::1`; undefined (and a reason) when an entry is not an address or range. */
  static parse(text: string): { ok: true; proxies: TrustedProxies } | { ok: false; problem: string } {
    const entries = text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    if (entries.length === 0) return { ok: false, problem: 'FORWARD_AUTH_PROXIES must name at least one address or range' };
    for (const entry of entries) {
      const [address = '', bits, extra] = entry.split('/');
      const family = isIP(address);
      const max = family === 6 ? 128 : 32;
      const badBits = bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max);
      if (family === 0 || badBits || extra !== undefined) {
        return { ok: false, problem: `FORWARD_AUTH_PROXIES: "${entry}" is not an IP address or CIDR range (like 10.0.0.5 or 10.0.0.0/8)` };
      }
    }
    return { ok: true, proxies: new TrustedProxies(entries) };
  }

  static defaults(): TrustedProxies {
    const parsed = TrustedProxies.parse(DEFAULT_FORWARD_AUTH_PROXIES);
    if (!parsed.ok) throw new Error(parsed.problem);
    return parsed.proxies;
  }

  /** Whether a socket peer is one of them (`::ffff:` IPv4-mapped addresses count as IPv4). */
  includes(socketAddress: string): boolean {
    let address = socketAddress.trim();
    if (address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
    const family = isIP(address);
    if (family === 0) return false;
    return this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
