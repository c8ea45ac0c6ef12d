import { describe, expect, it } from 'vitest';
import { relayWithDevice, startTestRelay, type RelayWithDevice } from '../helpers/test-relay.ts';

const SIGNINS = '/api/v1/signins';
const PASSWORD = 'correct horse battery';

function requestSignin(relay: RelayWithDevice, body: Record<string, unknown> = {}) {
  return relay.http('POST', SIGNINS, { body: { upn: relay.user.upn, ...body } });
}

/** A user with a paired (offline) device in these groups, on an existing relay. */
async function userWithDevice(relay: RelayWithDevice, groups: string[]) {
  const user = await relay.createUser({ groups });
  await relay.pairDevice(user.upn, { connect: false });
  return user;
}

describe('policy: who gets a push', () => {
  it('targets only the listed groups; others get 422 no_push_method', async () => {
    const relay = await relayWithDevice({ groups: ['staff'], policy: { targets: ['staff', 'ops'] } });
    const outsider = await userWithDevice(relay, ['contractors']);
    const ops = await userWithDevice(relay, ['ops']);
    expect((await requestSignin(relay)).status).toBe(201);
    expect((await relay.http('POST', SIGNINS, { body: { upn: ops.upn } })).status).toBe(201);
    const refused = await relay.http('POST', SIGNINS, { body: { upn: outsider.upn } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('no_push_method');
  });

  it('excludes excludeGroups even when targeted', async () => {
    const relay = await relayWithDevice({ groups: ['staff'], policy: { targets: 'all', excludeGroups: ['contractors'] } });
    const contractor = await userWithDevice(relay, ['staff', 'contractors']);
    expect((await requestSignin(relay)).status).toBe(201);
    const refused = await relay.http('POST', SIGNINS, { body: { upn: contractor.upn } });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('no_push_method');
  });

  it('lets exclusion win over a targeted group', async () => {
    const relay = await relayWithDevice({
      groups: ['staff', 'contractors'],
      policy: { targets: ['staff'], excludeGroups: ['contractors'] },
    });
    expect((await requestSignin(relay)).body.error.code).toBe('no_push_method');
  });

  it('gives nobody a push when disabled', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { enabled: false } });
    expect((await requestSignin(relay)).status).toBe(422);
    expect((await requestSignin(relay, { password: PASSWORD })).status).toBe(422);
  });

  it('follows group changes made after the policy', async () => {
    const relay = await relayWithDevice({ groups: ['staff'], policy: { targets: ['staff'] } });
    expect((await requestSignin(relay)).status).toBe(201);
    const moved = await relay.http('PATCH', `/api/v1/admin/users/${encodeURIComponent(relay.user.upn)}`, {
      admin: true,
      body: { groups: ['visitors'] },
    });
    expect(moved.status).toBe(200);
    expect((await requestSignin(relay)).status).toBe(422);
  });
});

describe('policy: mode', () => {
  it('mode push refuses passwordless with 422 and pushes after a correct password', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { mode: 'push' } });
    const passwordless = await requestSignin(relay);
    expect(passwordless.status).toBe(422);
    expect(passwordless.body.error.code).toBe('no_push_method');
    const second = await requestSignin(relay, { password: PASSWORD });
    expect(second.status).toBe(201);
    await relay.device.waitForChallenge((c) => c.requestId === second.body.requestId);
    expect((await relay.device.approve(second.body.requestId, second.body.number)).outcome).toBe('approved');
    expect((await relay.signin.complete(second.body)).session.amr).toContain('pwd');
  });

  it('mode push still answers a wrong password with 401', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { mode: 'push' } });
    expect((await requestSignin(relay, { password: 'not the password' })).status).toBe(401);
  });

  it('mode passwordless refuses password + push with 422 and allows passwordless', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { mode: 'passwordless' } });
    const withPassword = await requestSignin(relay, { password: PASSWORD });
    expect(withPassword.status).toBe(422);
    expect(withPassword.body.error.code).toBe('no_push_method');
    expect((await requestSignin(relay)).status).toBe(201);
  });

  it('mode any allows both', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { mode: 'any' } });
    expect((await requestSignin(relay)).status).toBe(201);
    expect((await requestSignin(relay, { password: PASSWORD })).status).toBe(201);
  });

  it('records the method in the sign-in log', async () => {
    const relay = await relayWithDevice({ password: PASSWORD });
    await requestSignin(relay);
    relay.clock.advance(1);
    await requestSignin(relay, { password: PASSWORD });
    const log = await relay.admin.listSignins({ upn: relay.user.upn });
    expect(log.map((entry) => entry.method)).toEqual(['push_after_password', 'passwordless']);
  });
});

describe('policy: number matching', () => {
  it('choose mode sends three distinct choices of the right length including the right number', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'choose', digits: 2 } } });
    for (let round = 0; round < 5; round++) {
      const created = (await requestSignin(relay)).body;
      const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
      expect(challenge.match.mode).toBe('choose');
      if (challenge.match.mode !== 'choose') return;
      expect(challenge.match.digits).toBe(2);
      expect(challenge.match.choices).toHaveLength(3);
      expect(new Set(challenge.match.choices).size).toBe(3);
      expect(challenge.match.choices).toContain(created.number);
      for (const choice of challenge.match.choices) expect(choice).toMatch(/^[0-9]{2}$/);
    }
  });

  it('choose mode puts the right number in every position over many requests', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'choose', digits: 2 } } });
    const positions = new Set<number>();
    // Each position has a 1/3 chance per request; 60 requests miss one with odds about 3e-10.
    for (let round = 0; round < 60 && positions.size < 3; round++) {
      const created = (await requestSignin(relay)).body;
      const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
      if (challenge.match.mode === 'choose') positions.add(challenge.match.choices.indexOf(created.number));
    }
    expect([...positions].sort()).toEqual([0, 1, 2]);
  });

  it.each([2, 3, 4, 5, 6])('honours %i digits in type and choose mode', async (digits) => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'type', digits } } });
    const typed = await requestSignin(relay);
    expect(typed.body.digits).toBe(digits);
    expect(typed.body.number).toMatch(new RegExp(`^[0-9]{${digits}}$`));
    const typeChallenge = await relay.device.waitForChallenge((c) => c.requestId === typed.body.requestId);
    expect(typeChallenge.match).toEqual({ mode: 'type', digits });

    await relay.setPolicy({ match: { mode: 'choose', digits } });
    const chosen = await requestSignin(relay);
    expect(chosen.body.number).toMatch(new RegExp(`^[0-9]{${digits}}$`));
    const chooseChallenge = await relay.device.waitForChallenge((c) => c.requestId === chosen.body.requestId);
    expect(chooseChallenge.match).toMatchObject({ mode: 'choose', digits });
    if (chooseChallenge.match.mode === 'choose') {
      for (const choice of chooseChallenge.match.choices) expect(choice).toHaveLength(digits);
    }
    expect((await relay.device.approve(chosen.body.requestId, chosen.body.number)).outcome).toBe('approved');
  });

  it('keeps the match a request was created with when the policy changes', async () => {
    const relay = await relayWithDevice({ policy: { match: { mode: 'type', digits: 4 } } });
    const created = (await requestSignin(relay)).body;
    await relay.setPolicy({ match: { mode: 'type', digits: 2 } });
    expect((await relay.device.approve(created.requestId, created.number)).outcome).toBe('approved');
  });
});

describe('policy: context on the challenge', () => {
  it('shows the app name and "Local network" for 127.0.0.1 when both switches are on', async () => {
    const relay = await relayWithDevice({ policy: { showAppName: true, showLocation: true } });
    const created = (await requestSignin(relay, { app: 'demo' })).body;
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    expect(challenge.app).toEqual({ name: 'Countersign Demo' });
    expect(challenge.context.location).toBe('Local network');
    expect(challenge.context.ip).toBe('127.0.0.1');
  });

  it('hides the app name and location when both switches are off', async () => {
    const relay = await relayWithDevice({ policy: { showAppName: false, showLocation: false } });
    const created = (await requestSignin(relay, { app: 'demo' })).body;
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    expect(challenge.app).toBeNull();
    expect(challenge.context.location).toBeNull();
    expect(JSON.stringify(challenge)).not.toContain('Countersign Demo');
    expect(JSON.stringify(challenge)).not.toContain('Local network');
  });

  it('switches each one independently', async () => {
    const relay = await relayWithDevice({ policy: { showAppName: true, showLocation: false } });
    const first = (await requestSignin(relay, { app: 'wiki' })).body;
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === first.requestId);
    expect(challenge.app).toEqual({ name: 'Team Wiki' });
    expect(challenge.context.location).toBeNull();

    await relay.setPolicy({ showAppName: false, showLocation: true });
    const second = (await requestSignin(relay, { app: 'wiki' })).body;
    const next = await relay.device.waitForChallenge((c) => c.requestId === second.requestId);
    expect(next.app).toBeNull();
    expect(next.context.location).toBe('Local network');
  });

  it('sends app null when no app was named', async () => {
    const relay = await relayWithDevice();
    const created = (await requestSignin(relay)).body;
    expect((await relay.device.waitForChallenge((c) => c.requestId === created.requestId)).app).toBeNull();
  });

  it('applies the switches to challenges re-sent after ready too', async () => {
    const relay = await relayWithDevice({ policy: { showAppName: false, showLocation: false } });
    await relay.device.close();
    const created = (await requestSignin(relay, { app: 'payroll' })).body;
    await relay.device.connect(relay.origin);
    const challenge = await relay.device.waitForChallenge((c) => c.requestId === created.requestId);
    expect(challenge.app).toBeNull();
    expect(challenge.context.location).toBeNull();
  });
});

describe('policy: request lifetime', () => {
  it('uses requestTtlSeconds for expiresAt and expiry', async () => {
    const relay = await relayWithDevice({ policy: { requestTtlSeconds: 30 } });
    const created = (await requestSignin(relay)).body;
    expect(created.expiresAt).toBe(relay.clock.now() + 30_000);
    await relay.advance(29_999);
    expect((await relay.signin.getStatus(created)).status).toBe('pending');
    await relay.advance(1);
    expect((await relay.signin.getStatus(created)).status).toBe('expired');
  });
});

describe('policy: push budget', () => {
  it('answers the (maxPushesPer10Min + 1)-th request in 10 minutes with 429 rate_limited, and allows it again after', async () => {
    const relay = await relayWithDevice({ policy: { maxPushesPer10Min: 3 } });
    for (let i = 0; i < 3; i++) {
      expect((await requestSignin(relay)).status).toBe(201);
      relay.clock.advance(1_000);
    }
    const refused = await requestSignin(relay);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('rate_limited');
    // Just over 10 minutes after the first of the three, only it has left the window.
    relay.clock.advance(10 * 60_000 - 3_000 + 1);
    expect((await requestSignin(relay)).status).toBe(201);
    expect((await requestSignin(relay)).status).toBe(429);
    relay.clock.advance(10 * 60_000);
    expect((await requestSignin(relay)).status).toBe(201);
  });

  it('counts password + push requests in the same budget', async () => {
    const relay = await relayWithDevice({ password: PASSWORD, policy: { maxPushesPer10Min: 2 } });
    expect((await requestSignin(relay)).status).toBe(201);
    expect((await requestSignin(relay, { password: PASSWORD })).status).toBe(201);
    expect((await requestSignin(relay, { password: PASSWORD })).status).toBe(429);
  });

  it("keeps one user's budget from spending another's", async () => {
    const relay = await relayWithDevice({ policy: { maxPushesPer10Min: 1 } });
    const other = await userWithDevice(relay, []);
    expect((await requestSignin(relay)).status).toBe(201);
    expect((await requestSignin(relay)).status).toBe(429);
    expect((await relay.http('POST', SIGNINS, { body: { upn: other.upn } })).status).toBe(201);
  });

  it('does not push a refused request to the device', async () => {
    const relay = await relayWithDevice({ policy: { maxPushesPer10Min: 1 } });
    const allowed = (await requestSignin(relay)).body;
    await relay.device.waitForChallenge((c) => c.requestId === allowed.requestId);
    expect((await requestSignin(relay)).status).toBe(429);
    // The first request was not superseded by the refused one.
    expect((await relay.signin.getStatus(allowed)).status).toBe('pending');
    expect((await relay.device.approve(allowed.requestId, allowed.number)).outcome).toBe('approved');
  });
});

describe('policy: lockout', () => {
  /** One request, denied on the device. */
  async function deniedSignin(relay: RelayWithDevice): Promise<void> {
    const created = await requestSignin(relay);
    expect(created.status).toBe(201);
    await relay.device.waitForChallenge((c) => c.requestId === created.body.requestId);
    expect((await relay.device.deny(created.body.requestId)).outcome).toBe('denied');
  }

  it('locks pushes with 429 after lockoutAfterFailures failures', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 3 } });
    await deniedSignin(relay);
    await deniedSignin(relay);
    expect((await requestSignin(relay)).status).toBe(201); // two failures: not yet locked
    await relay.device.deny((await relay.device.waitForChallenge()).requestId);
    const locked = await requestSignin(relay);
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
  });

  it('counts wrong numbers and expiries as failures', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 2, requestTtlSeconds: 30 } });
    const first = (await requestSignin(relay)).body;
    await relay.device.approve(first.requestId, first.number === '00' ? '01' : '00');
    const second = (await requestSignin(relay)).body;
    await relay.advance(30_000);
    expect((await relay.signin.getStatus(second)).status).toBe('expired');
    expect((await requestSignin(relay)).status).toBe(429);
  });

  it('does not count a cancelled or superseded request as a failure', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const first = (await requestSignin(relay)).body;
    await requestSignin(relay); // supersedes the first
    expect((await relay.signin.getStatus(first)).status).toBe('cancelled');
    const third = (await requestSignin(relay)).body;
    await relay.signin.cancel(third);
    expect((await requestSignin(relay)).status).toBe(201);
  });

  it('locks the client out for 15 minutes at the threshold, and again for 15 with each failure after (revision 3)', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 2 } });
    await deniedSignin(relay);
    await deniedSignin(relay);
    expect(await lockDuration(relay)).toBe(15 * 60_000);

    await deniedSignin(relay);
    expect(await lockDuration(relay)).toBe(15 * 60_000);
  });

  it('never resets the count with a new request; a successful approval does', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 3 } });
    await deniedSignin(relay);
    await deniedSignin(relay);
    // Requests that end without a failure (cancelled, superseded) keep the count at 2.
    const cancelled = (await requestSignin(relay)).body;
    await relay.signin.cancel(cancelled);
    await requestSignin(relay);
    await deniedSignin(relay);
    expect((await requestSignin(relay)).status).toBe(429);

    // After the lock, an approval resets the count: the next two failures do not lock.
    relay.clock.advance(await lockDuration(relay));
    const approved = (await requestSignin(relay)).body;
    expect((await relay.device.approve(approved.requestId, approved.number)).outcome).toBe('approved');
    await deniedSignin(relay);
    await deniedSignin(relay);
    expect((await requestSignin(relay)).status).toBe(201);
  });

  it('locks only the user who failed', async () => {
    const relay = await relayWithDevice({ policy: { lockoutAfterFailures: 1 } });
    const other = await userWithDevice(relay, []);
    await deniedSignin(relay);
    expect((await requestSignin(relay)).status).toBe(429);
    expect((await relay.http('POST', SIGNINS, { body: { upn: other.upn } })).status).toBe(201);
  });
});

/**
 * How long the user's pushes stay locked from now, found by moving the clock: the relay answers
 * 429 one millisecond before and 201 at the end. Returns with the clock at the end of the lock
 * (the probe request there is cancelled so it does not count).
 */
async function lockDuration(relay: RelayWithDevice): Promise<number> {
  const start = relay.clock.now();
  expect((await requestSignin(relay)).status).toBe(429);
  // Find the end by doubling, then by bisection, without sending a request that would succeed early.
  let low = 0;
  let high = 1_000;
  while (await isLockedAfter(relay, start, high)) {
    low = high;
    high *= 2;
    if (high > 48 * 3_600_000) throw new Error('lock never ends');
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await isLockedAfter(relay, start, middle)) low = middle;
    else high = middle;
  }
  relay.clock.set(start + high);
  const probe = await requestSignin(relay);
  expect(probe.status).toBe(201);
  await relay.signin.cancel(probe.body);
  return high;
}

/** Whether a request `offset` ms after `start` would be refused; a request that gets through is cancelled. */
async function isLockedAfter(relay: RelayWithDevice, start: number, offset: number): Promise<boolean> {
  relay.clock.set(start + offset);
  const answer = await requestSignin(relay);
  if (answer.status === 201) {
    await relay.signin.cancel(answer.body);
    return false;
  }
  expect(answer.status).toBe(429);
  return true;
}

describe('policy changes apply to the next request', () => {
  it('takes effect without a restart', async () => {
    const relay = await startTestRelay();
    const user = await relay.createUser({ groups: ['staff'] });
    await relay.pairDevice(user.upn, { connect: false });
    expect((await relay.http('POST', SIGNINS, { body: { upn: user.upn } })).status).toBe(201);
    await relay.setPolicy({ excludeGroups: ['staff'] });
    expect((await relay.http('POST', SIGNINS, { body: { upn: user.upn } })).status).toBe(422);
  });
});
