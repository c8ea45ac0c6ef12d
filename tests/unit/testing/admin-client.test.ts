import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, randomId } from '../../../protocol/index.ts';
import { AdminClient, SigninClient } from '../../../testing/admin-client.ts';

const relayOrigin = 'http://127.0.0.1:8787';

/** A fetch answering every call with one response, recording the calls. */
function fakeFetch(answer: () => Response) {
  const calls: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(url),
      method: init?.method ?? 'GET',
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    return answer();
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('AdminClient', () => {
  it('sends the admin token as a bearer and the body as JSON', async () => {
    const { fetch, calls } = fakeFetch(() => json(201, { userId: randomId(), upn: 'carol@demo.test' }));
    const admin = new AdminClient(relayOrigin, 'secret-admin-token', { fetch });

    await admin.createUser({ upn: 'carol@demo.test', displayName: 'Carol', groups: ['staff'] });

    expect(calls[0]).toMatchObject({
      url: `${relayOrigin}/api/v1/admin/users`,
      method: 'POST',
      headers: { authorization: 'Bearer secret-admin-token', 'content-type': 'application/json' },
      body: { upn: 'carol@demo.test', displayName: 'Carol', groups: ['staff'] },
    });
  });

  it("surfaces the relay's error code and status", async () => {
    const { fetch } = fakeFetch(() => json(409, { error: { code: 'user_exists', message: 'taken' } }));
    const admin = new AdminClient(relayOrigin, 'token', { fetch });

    await expect(admin.createUser({ upn: 'alice@demo.test', displayName: 'Alice' })).rejects.toMatchObject({
      code: 'user_exists',
      status: 409,
    });
  });

  it('names a failure without a JSON body after its status', async () => {
    const { fetch } = fakeFetch(() => new Response('Bad gateway', { status: 502 }));
    const admin = new AdminClient(relayOrigin, 'token', { fetch });

    await expect(admin.getPolicy()).rejects.toMatchObject({ code: 'http_502', status: 502 });
  });

  it('escapes the upn in the path and validates the answer', async () => {
    const { fetch, calls } = fakeFetch(() => json(201, { token: randomId(), link: 'x', expiresAt: 1 }));
    const admin = new AdminClient(relayOrigin, 'token', { fetch });

    await admin.createPairing('a/b@demo.test');

    expect(calls[0]?.url).toBe(`${relayOrigin}/api/v1/admin/users/a%2Fb%40demo.test/pairings`);
  });

  it('refuses a policy answer that does not match the schema', async () => {
    const { fetch } = fakeFetch(() => json(200, { ...DEFAULT_POLICY, requestTtlSeconds: 5 }));
    const admin = new AdminClient(relayOrigin, 'token', { fetch });

    await expect(admin.getPolicy()).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('accepts 204 when revoking a device', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const admin = new AdminClient(relayOrigin, 'token', { fetch });
    const deviceId = randomId();

    await admin.revokeDevice(deviceId);

    expect(calls[0]).toMatchObject({ method: 'DELETE', url: `${relayOrigin}/api/v1/admin/devices/${deviceId}` });
  });
});

describe('SigninClient', () => {
  const signin = { requestId: randomId(), browserToken: 'browser-token' };

  it('surfaces no_push_method with its status', async () => {
    const { fetch } = fakeFetch(() => json(422, { error: { code: 'no_push_method', message: 'no' } }));

    await expect(new SigninClient(relayOrigin, { fetch }).createSignin({ upn: 'nobody@demo.test' })).rejects.toMatchObject({
      code: 'no_push_method',
      status: 422,
    });
  });

  it('reads status events from the stream with the browser token', async () => {
    const { fetch, calls } = fakeFetch(
      () =>
        new Response(
          streamOf(': hello\n\nevent: status\ndata: {"status":"pen', 'ding"}\n\n', 'event: status\r\ndata: {"status":"approved"}\r\n\r\n'),
          { status: 200, headers: { 'content-type': 'text/event-stream' } },
        ),
    );

    const statuses = await collect(new SigninClient(relayOrigin, { fetch }).events(signin));

    expect(calls[0]?.headers).toMatchObject({ authorization: 'Bearer browser-token' });
    expect(statuses).toEqual([{ status: 'pending' }, { status: 'approved' }]);
  });

  it('waits for the first status that is not pending', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(
          streamOf('event: status\ndata: {"status":"pending"}\n\nevent: status\ndata: {"status":"denied","reason":"user"}\n\n'),
          {
            status: 200,
          },
        ),
    );

    await expect(new SigninClient(relayOrigin, { fetch }).waitForOutcome(signin)).resolves.toEqual({
      status: 'denied',
      reason: 'user',
    });
  });

  it('returns the session cookie when completing', async () => {
    const { fetch } = fakeFetch(() => {
      const response = json(200, { session: { upn: 'alice@demo.test', displayName: 'Alice', amr: ['push'] } });
      response.headers.set('set-cookie', 'cs_session=abc; HttpOnly; SameSite=Lax');
      return response;
    });

    const completed = await new SigninClient(relayOrigin, { fetch }).complete(signin);

    expect(completed).toMatchObject({ session: { upn: 'alice@demo.test' }, cookie: expect.stringContaining('HttpOnly') });
  });
});
