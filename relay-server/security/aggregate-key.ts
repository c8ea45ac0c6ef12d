/**
 * What aggregate caps count as one client (docs/protocol.md section 1: "aggregate caps also count
 * an IPv6 /48 as one client"): a client key as clientKey makes it, with an IPv6 /64 widened to its
 * /48. A site usually holds a whole /48, so keying a relay-wide resource (stored interactions,
 * event streams, unauthenticated sockets, the password line's waiting places, the spray backstop)
 * by /64 would let one site take 65,536 shares of it. IPv4 keys and familiar browsers' cookie keys
 * are returned unchanged.
 *
 * @example aggregateKey('2001:db8:1:2::/64') === '2001:db8:1::/48'
 * @example aggregateKey('203.0.113.7') === '203.0.113.7'
 */
export function aggregateKey(key: string): string {
  const slash64 = /^([0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}):[0-9a-f]{1,4}::\/64$/.exec(key);
  return slash64 ? `${slash64[1]}::/48` : key;
}
