const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

/**
 * Whether a URL's hostname names this machine: the one place plain `http` is allowed, for
 * developers (a relay origin a device pairs with, an app's redirect URI, a return URL).
 * @example isLoopbackHost(new URL('http://127.0.0.1:8787').hostname) // true
 */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}
