import { isLoopbackHost } from '../../protocol/loopback-host.ts';

/** Longest `rd` the sign-in page keeps: a URL past this is not one a proxy built. */
export const MAX_RETURN_URL_CHARS = 2048;

/** Whitespace, C0 controls or DEL: characters the URL parser would quietly drop or trim. */
const hasControlOrSpace = (text: string): boolean =>
  [...text].some((char) => char.charCodeAt(0) <= 0x20 || char.charCodeAt(0) === 0x7f || /\s/.test(char));

/**
 * The protected site a sign-in returns to (the `rd` a proxy sets, docs/protocol.md section 10),
 * or undefined when it must be ignored: only an absolute `https` URL (or `http` on a loopback
 * host) without userinfo, whose hostname is one a rule names exactly. It is parsed as a URL, as a
 * browser would follow it, so `//evil`, backslashes, encoded dots and look-alike hosts resolve to
 * what they really name before the comparison. The answer is the parsed URL's own serialization.
 *
 * @example safeReturnUrl('https://dash.example.com/x', new Set(['dash.example.com'])) === 'https://dash.example.com/x'
 */
export function safeReturnUrl(rd: string | undefined, ruleHosts: ReadonlySet<string>): string | undefined {
  if (rd === undefined || rd.length === 0 || rd.length > MAX_RETURN_URL_CHARS) return undefined;
  // Only a URL that names its scheme itself: no relative or scheme-relative forms, no whitespace
  // or control characters the URL parser would quietly drop.
  if (!/^https?:\/\/[^\\]/i.test(rd) || hasControlOrSpace(rd) || rd.includes('\\')) return undefined;
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    return undefined;
  }
  if (url.username !== '' || url.password !== '') return undefined;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) return undefined;
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  return ruleHosts.has(hostname) ? url.href : undefined;
}
