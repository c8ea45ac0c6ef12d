import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { caddySites, nginxSites } from '../../../testing/reverse-proxies.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('the README’s forward-auth configurations', () => {
  it('are the example files the proxy tests run, word for word', () => {
    const readme = read('README.md');
    for (const [file, fence] of [
      ['examples/forward-auth/nginx.conf', 'nginx'],
      ['examples/forward-auth/Caddyfile', 'caddyfile'],
      ['examples/forward-auth/traefik-labels.yml', 'yaml'],
    ] as const) {
      expect(readme, file).toContain(`\`\`\`${fence}\n${read(file)}\`\`\``);
    }
  });

  it('set all four X-Forwarded headers the check reads and clear the Remote-* headers', () => {
    const nginx = read('examples/forward-auth/nginx.conf');
    for (const header of ['X-Forwarded-Method', 'X-Forwarded-Proto', 'X-Forwarded-Host', 'X-Forwarded-Uri']) {
      expect(nginx).toContain(`proxy_set_header ${header} `);
    }
    for (const header of ['Remote-User', 'Remote-Name', 'Remote-Email', 'Remote-Groups'])
      expect(nginx).toContain(`proxy_set_header ${header} `);
    expect(read('examples/forward-auth/Caddyfile')).toContain('request_header -Remote-*');
    expect(read('examples/forward-auth/traefik-labels.yml')).toContain(
      'authResponseHeaders=Remote-User,Remote-Name,Remote-Email,Remote-Groups',
    );
  });

  it('become loopback test configurations with only names, ports and TLS changed', () => {
    const options = { hosts: ['a.example.test'], app: '127.0.0.1:4001', relay: '127.0.0.1:4002', port: 4003 };
    const nginx = nginxSites(options);
    expect(nginx).toContain('listen 127.0.0.1:4003;');
    expect(nginx).not.toMatch(/ssl|dash\.example\.com|3001|8787/);
    const caddy = caddySites(options);
    expect(caddy).toContain('http://a.example.test:4003 {');
    expect(caddy).not.toMatch(/dash\.example\.com|3001|8787/);
  });
});
