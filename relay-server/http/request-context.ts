import { isIP } from 'node:net';

/** Where a sign-in comes from, as shown on the device. */
export interface RequestContext {
  ip: string;
  /** What per-client limits are keyed by: the IPv4 address, or the IPv6 /64 (http/client-context.ts). */
  clientKey: string;
  browser: string;
  os: string;
  /** The familiar-browser cookie as sent, unverified (store/familiar-browsers-store.ts). */
  familiar?: string;
}

/** A short, human name for the browser and OS in a User-Agent; enough for "Chrome on Windows". */
export function describeUserAgent(userAgent: string | undefined): { browser: string; os: string } {
  const ua = userAgent ?? '';
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chromium\//.test(ua)
          ? 'Chromium'
          : /(Chrome|HeadlessChrome)\//.test(ua)
            ? 'Chrome'
            : /Safari\//.test(ua)
              ? 'Safari'
              : /curl\//.test(ua)
                ? 'curl'
                : 'Unknown browser';
  const os = /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /(iPhone|iPad|iPod)/.test(ua)
        ? 'iOS'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : 'Unknown OS';
  return { browser, os };
}

/** Loopback, private, link-local and unique-local addresses: shown as "Local network". */
export function isLocalAddress(ip: string): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(address) === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
  }
  return false;
}

/** A request context once its familiar-browser cookie has been checked against the user it names. */
export interface CountedContext extends RequestContext {
  /** The request comes from a familiar browser of the user it names (docs/protocol.md section 5). */
  isFamiliar: boolean;
}
