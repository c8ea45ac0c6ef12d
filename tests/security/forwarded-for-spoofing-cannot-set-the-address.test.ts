import { describe, expect, it } from 'vitest';
import { relayWithDevice } from '../integration/helpers/test-relay.ts';

/** Issue 10: with TRUST_PROXY=1 the relay took the client-supplied first X-Forwarded-For entry, so a phisher could make a push say "Local network". */
describe('X-Forwarded-For with TRUST_PROXY=1', () => {
  it('takes the address the proxy saw (the rightmost entry), never one the client wrote', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' } });
    // The client sends "192.168.1.5"; the proxy appends the address it really saw.
    const response = await relay.http('POST', '/api/v1/signins', {
      body: { upn: relay.user.upn },
      headers: { 'x-forwarded-for': '192.168.1.5, 203.0.113.9' },
    });
    expect(response.status).toBe(201);
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === response.body.requestId);
    expect(challenge.context.ip).toBe('203.0.113.9');
    expect(challenge.context.location).not.toBe('Local network');
    const [row] = await relay.admin.listSignins({ upn: relay.user.upn, limit: 1 });
    expect(row?.ip).toBe('203.0.113.9');
  });

  it('cannot dodge the per-client budget by varying the spoofed entries', async () => {
    const relay = await relayWithDevice({ env: { TRUST_PROXY: '1' }, policy: { maxPushesPer10Min: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const answer = await relay.http('POST', '/api/v1/signins', {
        body: { upn: relay.user.upn },
        headers: { 'x-forwarded-for': `10.9.8.${i}, 198.51.100.66` },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([201, 201, 429, 429]);
  });
});
