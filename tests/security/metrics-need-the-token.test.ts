import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../../relay-server/config.ts';
import { metricsAllowed } from '../../relay-server/ops/metrics.ts';
import { startRelay } from '../../testing/start-relay.ts';

const TOKEN = 'metrics-token-0123456789abcdef';

describe('GET /metrics', () => {
  it('answers 401 without METRICS_TOKEN as a bearer token, and the metrics with it', async () => {
    const running = await startRelay({ demo: false, env: { METRICS_TOKEN: TOKEN } });
    onTestFinished(() => running.stop());
    const get = (authorization?: string) => fetch(`${running.origin}/metrics`, authorization ? { headers: { authorization } } : {});
    for (const wrong of [
      undefined,
      'Bearer',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      running.adminToken,
      `Bearer ${running.adminToken}`,
    ]) {
      const answer = await get(wrong);
      expect(answer.status, String(wrong)).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const answer = await get(`Bearer ${TOKEN}`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('countersign_connected_devices');
  });

  it('stays open when METRICS_TOKEN is unset (loopback HOST), and warns about a non-loopback HOST', async () => {
    const running = await startRelay({ demo: false });
    onTestFinished(() => running.stop());
    expect((await fetch(`${running.origin}/metrics`)).status).toBe(200);
    expect(metricsAllowed(undefined, undefined)).toBe(true);
    const { warnings } = loadConfig({ DATA_DIR: running.dataDir, HOST: '0.0.0.0', RELAY_ORIGIN: 'https://signin.example.com' });
    expect(warnings.some((warning) => warning.includes('METRICS_TOKEN'))).toBe(true);
    expect(() => loadConfig({ DATA_DIR: running.dataDir, METRICS_TOKEN: 'short' })).toThrow(ConfigError);
  });
});
