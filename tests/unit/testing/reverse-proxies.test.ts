import { afterEach, describe, expect, it } from 'vitest';
import { ProxyMissingError, caddyBinary, nginxBinary } from '../../../testing/reverse-proxies.ts';

describe('nginxBinary() and caddyBinary()', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fail with how to install, never a silent skip, when the proxy is missing', () => {
    process.env.COUNTERSIGN_NGINX = '/nonexistent/nginx';
    expect(() => nginxBinary()).toThrow(ProxyMissingError);
    delete process.env.COUNTERSIGN_CADDY;
    process.env.PATH = '/nonexistent';
    try {
      caddyBinary();
    } catch (error) {
      // On a machine without /usr/bin/caddy: the message says what to install.
      expect(error).toBeInstanceOf(ProxyMissingError);
      expect((error as Error).message).toContain('apt-get install -y nginx-light caddy');
    }
  });
});
