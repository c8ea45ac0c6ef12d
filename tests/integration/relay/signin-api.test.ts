import { describe, expect, it, vi } from 'vitest';
import { EventStreamReader } from '../helpers/event-stream.ts';
import { relayWithDevice, startTestRelay, WAIT_MS, type HttpAnswer } from '../helpers/test-relay.ts';

const SIGNINS = '/api/v1/signins';

/** Section 8: every error answer is `{error: {code, message}}`. */
function expectErrorBody(answer: HttpAnswer, status: number, code?: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expect(answer.body).toEqual({ error: expect.objectContaining({ code: code ?? expect.any(String), message: expect.any(String) }) });
}

/** POSTs JSON as a chunked body (no Content-Length), one chunk per string. */
function postChunked(url: string, chunks: string[]): Promise<Response> {
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(chunk));
    },
  });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
}

describe('POST /api/v1/signins', () => {
  it('answers 201 with requestId, a digits-long number, digits, expiresAt and a browser token', async () => {
    const relay = await relayWithDevice();
    const answer = await relay.http('POST', SIGNINS, { body: { upn: relay.user.upn } });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      requestId: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      number: expect.stringMatching(/^[0-9]{2}$/),
      digits: 2,
      expiresAt: relay.clock.now() + 120_000,
      browserToken: expect.any(String),
    });
    expect(answer.body.browserToken.length).toBeGreaterThanOrEqual(22);
  });

  it('keeps leading zeros in the number', async () => {
    const relay = await relayWithDevice();
    // One 2-digit number in ten starts with 0; 300 tries miss one with odds below 1e-13.
    let number = '';
    for (let attempt = 0; attempt < 300 && !number.startsWith('0'); attempt++) {
      number = (await relay.signin.createSignin({ upn: relay.user.upn })).number;
      expect(number).toMatch(/^[0-9]{2}$/);
    }
    expect(number).toMatch(/^0[0-9]$/);
  });

  it('pushes a challenge with the account and context to the device', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn, app: 'payroll' });
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    expect(challenge).toMatchObject({
      type: 'challenge',
      deviceId: relay.deviceId,
      account: { upn: relay.user.upn, displayName: relay.user.displayName },
      app: { name: 'Payroll' },
      context: { ip: '127.0.0.1', location: 'Local network', browser: expect.any(String), os: expect.any(String) },
      match: { mode: 'type', digits: 2 },
      createdAt: relay.clock.now(),
      expiresAt: created.expiresAt,
    });
    expect(challenge.match).not.toHaveProperty('choices');
  });

  it('ignores unknown fields in the body', async () => {
    const relay = await relayWithDevice();
    const answer = await relay.http('POST', SIGNINS, { body: { upn: relay.user.upn, flavour: 'vanilla', options: { a: 1 } } });
    expect(answer.status).toBe(201);
  });

  it('does not trust X-Forwarded-For unless configured to', async () => {
    const relay = await relayWithDevice();
    const answer = await relay.http('POST', SIGNINS, { body: { upn: relay.user.upn }, headers: { 'x-forwarded-for': '203.0.113.9' } });
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === answer.body.requestId);
    expect(challenge.context.ip).toBe('127.0.0.1');
    expect(challenge.context.location).toBe('Local network');
  });

  it('answers an unknown user with 422 no_push_method', async () => {
    const relay = await startTestRelay();
    expectErrorBody(await relay.http('POST', SIGNINS, { body: { upn: 'nobody@example.test' } }), 422, 'no_push_method');
  });

  it('answers a user without a device with 422 no_push_method', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser();
    expectErrorBody(await relay.http('POST', SIGNINS, { body: { upn: user.upn } }), 422, 'no_push_method');
  });

  it('answers an unknown user, a user without a device and an untargeted user identically', async () => {
    const relay = await startTestRelay({ policy: { targets: ['staff'] } });
    const bare = await relay.createUser({ groups: ['staff'] });
    const outsider = await relay.createUser();
    await relay.pairDevice(outsider.upn, { connect: false });
    const answers = await Promise.all(
      ['nobody@example.test', bare.upn, outsider.upn].map((upn) => relay.http('POST', SIGNINS, { body: { upn } })),
    );
    for (const answer of answers) expectErrorBody(answer, 422, 'no_push_method');
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
  });

  it('answers a wrong password with 401 invalid_credentials and never echoes it', async () => {
    const relay = await relayWithDevice({ password: 'correct horse battery' });
    const answer = await relay.http('POST', SIGNINS, { body: { upn: relay.user.upn, password: 'Tr0ub4dor&3-guess' } });
    expectErrorBody(answer, 401, 'invalid_credentials');
    expect(answer.text).not.toContain('Tr0ub4dor');
    expect(answer.text).not.toContain('correct horse');
    expect(await relay.admin.listSignins({ upn: relay.user.upn })).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ status: 'pending' })]),
    );
  });

  it('starts a push after a correct password', async () => {
    const relay = await relayWithDevice({ password: 'correct horse battery' });
    const created = await relay.signin.createSignin({ upn: relay.user.upn, password: 'correct horse battery' });
    await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    await relay.device.approve(created.requestId, created.number);
    const { session } = await relay.signin.complete(created);
    expect(session.upn).toBe(relay.user.upn);
    expect(session.amr).toContain('pwd');
  });

  it('answers a password for an unknown user with 401 invalid_credentials', async () => {
    const relay = await startTestRelay();
    expectErrorBody(
      await relay.http('POST', SIGNINS, { body: { upn: 'nobody@example.test', password: 'whatever-it-is' } }),
      401,
      'invalid_credentials',
    );
  });

  it('rejects an unknown app with 400 naming app', async () => {
    const relay = await relayWithDevice();
    const answer = await relay.http('POST', SIGNINS, { body: { upn: relay.user.upn, app: 'nosuchapp' } });
    expectErrorBody(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain('app');
    expect(await relay.admin.listSignins({ upn: relay.user.upn })).toEqual([]);
  });

  it.each([
    ['missing upn', {}, 'upn'],
    ['upn over 254 characters', { upn: `${'a'.repeat(250)}@x.test` }, 'upn'],
    ['a numeric upn', { upn: 12 }, 'upn'],
    ['an empty password', { upn: 'someone@example.test', password: '' }, 'password'],
  ])('rejects %s with 400 invalid_request naming the field', async (_what, body, field) => {
    const relay = await startTestRelay();
    const answer = await relay.http('POST', SIGNINS, { body });
    expectErrorBody(answer, 400, 'invalid_request');
    expect(answer.body.error.message).toContain(field);
  });

  it('rejects a body that is not JSON with 400', async () => {
    const relay = await relayWithDevice();
    expectErrorBody(await relay.http('POST', SIGNINS, { rawBody: '{"upn": ' }), 400, 'invalid_request');
    expectErrorBody(await relay.http('POST', SIGNINS, { rawBody: 'null' }), 400, 'invalid_request');
    expectErrorBody(await relay.http('POST', SIGNINS, { rawBody: `["${relay.user.upn}"]` }), 400, 'invalid_request');
    expect(await relay.admin.listSignins({ upn: relay.user.upn })).toEqual([]);
  });

  it('rejects a body over 16 KiB with 413 and creates nothing', async () => {
    const relay = await relayWithDevice();
    const body = { upn: relay.user.upn, padding: 'x'.repeat(16 * 1024) };
    const answer = await relay.http('POST', SIGNINS, { body });
    expectErrorBody(answer, 413);
    expect(await relay.admin.listSignins({ upn: relay.user.upn })).toEqual([]);
    expect(relay.device.pendingChallenges()).toEqual([]);
  });

  it('rejects a chunked body over 16 KiB with 413 and creates nothing', async () => {
    const relay = await relayWithDevice();
    const json = JSON.stringify({ upn: relay.user.upn, padding: 'x'.repeat(20 * 1024) });
    const chunks = [json.slice(0, 8000), json.slice(8000)];
    const response = await postChunked(`${relay.origin}${SIGNINS}`, chunks);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
    expect(await relay.admin.listSignins({ upn: relay.user.upn })).toEqual([]);
  });
});

describe('HTTP bodies under 16 KiB', () => {
  it('accepts a chunked body (no Content-Length) and creates the sign-in', async () => {
    const relay = await relayWithDevice();
    const json = JSON.stringify({ upn: relay.user.upn });
    const chunks = [json.slice(0, 5), json.slice(5)];
    const response = await postChunked(`${relay.origin}${SIGNINS}`, chunks);
    expect(response.status).toBe(201);
    const created = (await response.json()) as { requestId: string };
    expect((await relay.device.waitForChallenge()).requestId).toBe(created.requestId);
  });
});

describe('HTTP bodies over 16 KiB', () => {
  it.each([
    ['POST', '/api/v1/pairings/redeem'],
    ['POST', '/api/v1/admin/users'],
    ['PUT', '/api/v1/admin/policy'],
  ])('%s %s answers 413 with an error body and changes nothing', async (method, path) => {
    const relay = await startTestRelay();
    const answer = await relay.http(method, path, {
      admin: true,
      body: { upn: 'big@example.test', displayName: 'Big', padding: 'x'.repeat(17_000) },
    });
    expectErrorBody(answer, 413);
    expect((await relay.http('GET', '/api/v1/admin/users/big%40example.test', { admin: true })).status).toBe(404);
  });
});

describe('GET /api/v1/signins/{id}', () => {
  it('answers pending with the browser token', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const answer = await relay.http('GET', `${SIGNINS}/${created.requestId}`, { bearer: created.browserToken });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'pending' });
  });

  it('answers 401 without the browser token and with a wrong one', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}`), 401);
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}`, { bearer: 'AAAAAAAAAAAAAAAAAAAAAA' }), 401);
    const other = await relay.signin.createSignin({ upn: relay.user.upn });
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}`, { bearer: other.browserToken }), 401);
  });

  it('does not accept the token in the query string', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}?token=${created.browserToken}`), 401);
  });
});

describe('GET /api/v1/signins/{id}/events', () => {
  it('streams event: status lines, pending then approved, and ends', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const stream = await EventStreamReader.open(`${relay.origin}${SIGNINS}/${created.requestId}/events`, {
      authorization: `Bearer ${created.browserToken}`,
    });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.waitForStatus('pending');
    await relay.device.approve(created.requestId, created.number);
    await stream.waitForEnd();
    expect(stream.statuses()).toEqual([{ status: 'pending' }, { status: 'approved' }]);
    expect(stream.raw).toMatch(/^event: status\ndata: \{"status":"pending"\}\n\n/m);
    expect(stream.raw).toMatch(/^event: status\ndata: \{"status":"approved"\}\n\n/m);
  });

  it('takes the browser token as ?token= for EventSource', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const stream = await EventStreamReader.open(
      `${relay.origin}${SIGNINS}/${created.requestId}/events?token=${encodeURIComponent(created.browserToken)}`,
    );
    expect(stream.response.status).toBe(200);
    await stream.waitForStatus('pending');
    await relay.device.deny(created.requestId);
    await stream.waitForEnd();
    expect(stream.statuses()).toEqual([{ status: 'pending' }, { status: 'denied' }]);
  });

  it('answers 401 without a token or with a wrong one', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}/events`), 401);
    expectErrorBody(await relay.http('GET', `${SIGNINS}/${created.requestId}/events?token=AAAAAAAAAAAAAAAAAAAAAA`), 401);
  });

  it('sends the final status at once and ends for a settled request', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.deny(created.requestId);
    const stream = await EventStreamReader.open(`${relay.origin}${SIGNINS}/${created.requestId}/events`, {
      authorization: `Bearer ${created.browserToken}`,
    });
    await stream.waitForEnd();
    expect(stream.statuses()).toEqual([{ status: 'denied' }]);
  });

  it('stops listening for the request when the stream ends, by a settled request or a browser gone away', async () => {
    const relay = await relayWithDevice();
    const { fanout } = relay.running.relay;
    const settled = await relay.signin.createSignin({ upn: relay.user.upn });
    const stream = await EventStreamReader.open(`${relay.origin}${SIGNINS}/${settled.requestId}/events`, {
      authorization: `Bearer ${settled.browserToken}`,
    });
    await stream.waitForStatus('pending');
    expect(fanout.waitingBrowsers).toBe(1);
    await relay.device.approve(settled.requestId, settled.number);
    await stream.waitForEnd();
    await vi.waitFor(() => expect(fanout.waitingBrowsers).toBe(0), { timeout: WAIT_MS });

    const abandoned = await relay.signin.createSignin({ upn: relay.user.upn });
    const browser = new AbortController();
    const response = await fetch(`${relay.origin}${SIGNINS}/${abandoned.requestId}/events`, {
      headers: { authorization: `Bearer ${abandoned.browserToken}` },
      signal: browser.signal,
    });
    expect(response.status).toBe(200);
    await vi.waitFor(() => expect(fanout.waitingBrowsers).toBe(1), { timeout: WAIT_MS });
    browser.abort();
    await vi.waitFor(() => expect(fanout.waitingBrowsers).toBe(0), { timeout: WAIT_MS });
  });

  it('streams the same events to an in-process app.request() (no Node response to write to)', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const response = await relay.running.relay.app.request(`${SIGNINS}/${created.requestId}/events`, {
      headers: { authorization: `Bearer ${created.browserToken}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = response.text();
    await relay.device.approve(created.requestId, created.number);
    expect(await text).toBe('event: status\ndata: {"status":"pending"}\n\nevent: status\ndata: {"status":"approved"}\n\n');
    expect(relay.running.relay.fanout.waitingBrowsers).toBe(0);
  });

  it('streams wrong_number', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    const outcome = relay.signin.waitForOutcome(created);
    const wrong = created.number === '00' ? '01' : '00';
    await relay.device.approve(created.requestId, wrong);
    expect((await outcome).status).toBe('wrong_number');
  });
});

describe('POST /api/v1/signins/{id}/cancel', () => {
  it('cancels: devices get cancel cancelled, browser sees cancelled', async () => {
    const relay = await relayWithDevice();
    const { device: second } = await relay.pairDevice(relay.user.upn);
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    const answer = await relay.http('POST', `${SIGNINS}/${created.requestId}/cancel`, { bearer: created.browserToken });
    expect(answer.status).toBeLessThan(300);
    expect((await relay.device.waitForCancel(created.requestId)).reason).toBe('cancelled');
    expect((await second.waitForCancel(created.requestId)).reason).toBe('cancelled');
    expect((await relay.signin.getStatus(created)).status).toBe('cancelled');
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('already_decided');
  });

  it('answers a second cancel with 409', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.signin.cancel(created);
    expectErrorBody(await relay.http('POST', `${SIGNINS}/${created.requestId}/cancel`, { bearer: created.browserToken }), 409);
  });

  it('needs the browser token', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    expectErrorBody(await relay.http('POST', `${SIGNINS}/${created.requestId}/cancel`), 401);
    expectErrorBody(await relay.http('POST', `${SIGNINS}/${created.requestId}/cancel`, { bearer: 'AAAAAAAAAAAAAAAAAAAAAA' }), 401);
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
  });

  it('answers cancel of an approved request with 409 and keeps it approved', async () => {
    const relay = await relayWithDevice();
    const created = await relay.signin.createSignin({ upn: relay.user.upn });
    await relay.device.approve(created.requestId, created.number);
    expectErrorBody(await relay.http('POST', `${SIGNINS}/${created.requestId}/cancel`, { bearer: created.browserToken }), 409);
    expect((await relay.signin.getStatus(created)).status).toBe('approved');
  });
});

describe('unknown API paths', () => {
  it('answer 404 with an error body', async () => {
    const relay = await startTestRelay();
    expectErrorBody(await relay.http('GET', '/api/v1/nothing-here'), 404);
    expectErrorBody(await relay.http('GET', `${SIGNINS}/AAAAAAAAAAAAAAAAAAAAAA`, { bearer: 'x' }), 404);
  });
});
