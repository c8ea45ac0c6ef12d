/**
 * The cookies a test browser holds: kept from Set-Cookie answers (a cleared or expired one is
 * dropped) and sent back as one Cookie header. A Map, so tests can read or plant a cookie.
 */
export class CookieJar extends Map<string, string> {
  remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (/max-age=0/i.test(header) || value === '') this.delete(name);
      else this.set(name, value);
    }
  }

  /** `{cookie: …}` to spread into request headers, or nothing when the jar is empty. */
  header(): Record<string, string> {
    if (this.size === 0) return {};
    return { cookie: [...this].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}
