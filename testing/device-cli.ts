#!/usr/bin/env -S npx tsx
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Decision, ResultOutcome } from '../protocol/index.ts';
import { RelayHttpError } from './admin-client.ts';
import { DeviceStoreError } from './device-store.ts';
import {
  VIRTUAL_DEVICE_PIN,
  VirtualDevice,
  VirtualDeviceError,
  type ApprovalUnlock,
  type CloseInfo,
  type FromRelay,
  type ReceivedChallenge,
  type ReceivedNotice,
} from './virtual-device.ts';

/**
 * `npm run device -- <command>`: the virtual device from a terminal, for manual QA and scripts.
 * Exit codes: 0 done (or the expected outcome), 1 failed (another outcome, a relay error),
 * 2 bad input (usage, link, unknown request, no accounts).
 */

const USAGE = `Usage: npm run device -- <command> [options]

Commands:
  pair <link> [--name NAME]             redeem a pairing link (default name "Virtual device")
  accounts                              list the accounts this device holds
  listen [--approve-with auto|NUMBER | --deny | --report]
                                        print challenges, cancels, results and notices (an
                                        authenticator added or removed) until Ctrl-C;
                                        optionally answer every challenge (auto picks the first
                                        choice in "choose" mode; "type" mode needs a NUMBER)
  pending                               print the challenges waiting for an answer
  approve <requestId|latest> <number>   approve with the number shown on the sign-in page
  deny <requestId|latest>               deny a sign-in
  report <requestId|latest>             deny and report a sign-in as not yours
  change-pin <newPin>                   change the PIN (--pin is the old one) of every account on
                                        every relay: each relay must be reachable

Options:
  --keys FILE     key file (default $COUNTERSIGN_DEVICE_KEYS or ./data/virtual-device.json)
  --json          one JSON object per line instead of text
  --timeout MS    how long to wait for the relay (default 10000)
  --unlock HOW    how approvals release the approval key: pin (default: the unlock round trip
                  with the relay) or webauthn (the virtual authenticator's copy, whose secret is
                  in KEYS.authenticator); deny and report are signed with the connect key
  --pin PIN       the PIN for pair and approve (default $COUNTERSIGN_DEVICE_PIN or ${VIRTUAL_DEVICE_PIN});
                  it is never written to the key file
  -h, --help      this text`;

/** After `ready` the relay sends every pending challenge; 300 ms without a frame ends that batch. */
const PENDING_BATCH_QUIET_MS = 300;

const EXPECTED_OUTCOME: Record<Decision, ResultOutcome> = { approve: 'approved', deny: 'denied', report: 'reported' };

class UsageError extends Error {}

interface Output {
  readonly json: boolean;
  /** Human text, or in JSON mode the record as one line. */
  print(human: string, record: Record<string, unknown>): void;
  fail(code: string, message: string): void;
}

function outputFor(json: boolean): Output {
  return {
    json,
    print(human, record) {
      process.stdout.write(`${json ? JSON.stringify(record) : human}\n`);
    },
    fail(code, message) {
      process.stderr.write(`${json ? JSON.stringify({ event: 'error', code, message }) : `countersign-device: ${message}`}\n`);
    },
  };
}

export async function runDeviceCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        keys: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        unlock: { type: 'string' },
        pin: { type: 'string' },
        'approve-with': { type: 'string' },
        deny: { type: 'boolean', default: false },
        report: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`countersign-device: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const out = outputFor(values.json);
  const [command, ...args] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }

  const keysPath = resolve(values.keys ?? process.env.COUNTERSIGN_DEVICE_KEYS ?? 'data/virtual-device.json');
  let device: VirtualDevice | undefined;
  try {
    const timeoutMs = parseTimeout(values.timeout);
    const unlock = parseUnlock(values.unlock);
    const pin = values.pin ?? process.env.COUNTERSIGN_DEVICE_PIN ?? VIRTUAL_DEVICE_PIN;
    device = await VirtualDevice.open({
      keysPath,
      authenticatorPath: `${keysPath}.authenticator`,
      timeoutMs,
      unlock,
      pin,
      autoReconnect: command === 'listen',
      ...(values.name !== undefined ? { deviceName: values.name } : {}),
    });
    switch (command) {
      case 'pair':
        return await pair(device, out, exactly(args, 1, 'pair <link>')[0]!, keysPath);
      case 'accounts':
        exactly(args, 0, 'accounts');
        return accounts(device, out, keysPath);
      case 'listen':
        exactly(args, 0, 'listen');
        return await listen(device, out, listenAction(values));
      case 'pending':
        exactly(args, 0, 'pending');
        return await pending(device, out);
      case 'approve': {
        const [requestId, number] = exactly(args, 2, 'approve <requestId|latest> <number>');
        if (!/^[0-9]{2,6}$/.test(number!)) throw new UsageError('the number must be 2 to 6 digits');
        return await decide(device, out, 'approve', requestId!, number!);
      }
      case 'deny':
      case 'report':
        return await decide(device, out, command, exactly(args, 1, `${command} <requestId|latest>`)[0]!, '');
      case 'change-pin':
        return await changePin(device, out, pin, exactly(args, 1, 'change-pin <newPin>')[0]!);
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (error) {
    return reportFailure(out, error);
  } finally {
    await device?.close();
  }
}

function reportFailure(out: Output, error: unknown): number {
  if (error instanceof UsageError) {
    out.fail('usage', error.message);
    return 2;
  }
  if (error instanceof VirtualDeviceError) {
    const left = error.code === 'wrong_pin' && error.attemptsLeft != null ? ` (${error.attemptsLeft} attempts left)` : '';
    out.fail(error.code, `${error.message}${left}`);
    return ['invalid_link', 'insecure_relay', 'no_accounts', 'unknown_request', 'invalid_origin', 'invalid_pin'].includes(error.code)
      ? 2
      : 1;
  }
  if (error instanceof DeviceStoreError) {
    out.fail(error.code, error.message);
    return 2;
  }
  if (error instanceof RelayHttpError) {
    out.fail(error.code, error.message);
    return 1;
  }
  out.fail('internal_error', error instanceof Error ? error.message : String(error));
  return 1;
}

// ---- Commands ----

async function pair(device: VirtualDevice, out: Output, link: string, keysPath: string): Promise<number> {
  const account = await device.pair(link);
  out.print(`paired ${account.upn} (${account.displayName}) on ${account.relayOrigin} as device ${account.deviceId}\nkeys in ${keysPath}`, {
    event: 'paired',
    ...account,
    keysPath,
  });
  return 0;
}

async function changePin(device: VirtualDevice, out: Output, oldPin: string, newPin: string): Promise<number> {
  requireAccounts(device);
  const change = await device.changePin(oldPin, newPin);
  for (const account of change.changed) {
    out.print(`PIN changed for ${account.upn} on ${account.relayOrigin}`, { event: 'pinChanged', ...account });
  }
  for (const failure of change.failed) {
    out.fail(failure.code, `PIN not changed for ${failure.account.upn} on ${failure.account.relayOrigin}: ${failure.message}`);
  }
  return change.failed.length === 0 ? 0 : 1;
}

function accounts(device: VirtualDevice, out: Output, keysPath: string): number {
  const held = device.accounts();
  if (held.length === 0 && !out.json) {
    process.stderr.write(`no accounts in ${keysPath}; pair one with: npm run device -- pair '<link>'\n`);
  }
  for (const account of held) {
    out.print(`${account.upn}  (${account.displayName})  on ${account.relayOrigin}  device ${account.deviceId}`, {
      event: 'account',
      ...account,
    });
  }
  return 0;
}

type ListenAction = { decision: 'approve'; number: string | 'auto' } | { decision: 'deny' | 'report' } | null;

function listenAction(values: { 'approve-with'?: string | undefined; deny: boolean; report: boolean }): ListenAction {
  const chosen = [values['approve-with'] !== undefined, values.deny, values.report].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('choose one of --approve-with, --deny, --report');
  const approveWith = values['approve-with'];
  if (approveWith !== undefined) {
    if (approveWith !== 'auto' && !/^[0-9]{2,6}$/.test(approveWith)) {
      throw new UsageError('--approve-with takes "auto" or a number of 2 to 6 digits');
    }
    return { decision: 'approve', number: approveWith };
  }
  if (values.deny) return { decision: 'deny' };
  if (values.report) return { decision: 'report' };
  return null;
}

async function listen(device: VirtualDevice, out: Output, action: ListenAction): Promise<number> {
  const origins = requireAccounts(device);
  device.on('ready', (ready) => {
    out.print(
      `ready on ${ready.relayOrigin}: ${ready.accepted.length} account(s) accepted${ready.rejected.map((r) => `, ${r.deviceId} rejected (${r.code})`).join('')}`,
      { event: 'ready', ...ready },
    );
  });
  device.on('challenge', (challenge) => {
    printChallenge(out, challenge);
    if (action) answer(device, out, challenge, action);
  });
  device.on('cancel', (cancel) => out.print(`cancel ${cancel.requestId}: ${cancel.reason}`, { event: 'cancel', ...cancel }));
  device.on('result', (result) => printResult(out, result));
  device.on('revoked', (revoked) =>
    out.print(`revoked ${revoked.account?.upn ?? revoked.deviceId} on ${revoked.relayOrigin}; account forgotten`, {
      event: 'revoked',
      ...revoked,
    }),
  );
  device.on('notice', (notice) => printNotice(out, device, notice));
  device.on('relayError', (error) =>
    out.print(`relay error from ${error.relayOrigin}: ${error.code} ${error.message}`, { event: 'relayError', ...error }),
  );
  device.on('invalidFrame', (frame) =>
    out.print(`invalid frame from ${frame.relayOrigin}: ${frame.message}`, { event: 'invalidFrame', ...frame }),
  );

  // Resolves when Ctrl-C arrives, or when no relay is left to listen to.
  const finished = new Promise<number>((resolveFinished) => {
    const stop = () => resolveFinished(0);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const open = new Set(origins);
    device.on('close', (closed) => {
      printClose(out, closed);
      if (closed.willReconnect) return;
      open.delete(closed.relayOrigin);
      if (open.size === 0) resolveFinished(1);
    });
  });
  for (const origin of origins) {
    // With reconnection on, a slow relay only delays `ready`; the listener keeps trying.
    device.connect(origin).catch((error: unknown) => {
      if (error instanceof VirtualDeviceError && error.code === 'timeout') {
        out.print(`still waiting for ${origin}…`, { event: 'waiting', relayOrigin: origin });
      }
    });
  }
  return finished;
}

function answer(device: VirtualDevice, out: Output, challenge: ReceivedChallenge, action: NonNullable<ListenAction>): void {
  let number = '';
  if (action.decision === 'approve') {
    if (action.number !== 'auto') number = action.number;
    else if (challenge.match.mode === 'choose') number = challenge.match.choices[0] ?? '';
    else {
      out.print(`not answering ${challenge.requestId}: "auto" cannot know the number in type mode`, {
        event: 'skipped',
        requestId: challenge.requestId,
      });
      return;
    }
  }
  // The `result` listener prints the outcome; only a failure to get one is reported here.
  device.sendDecision({ requestId: challenge.requestId, decision: action.decision, number }).catch((error: unknown) => {
    const code = error instanceof VirtualDeviceError ? error.code : 'internal_error';
    out.fail(code, `answering ${challenge.requestId}: ${(error as Error).message}`);
  });
}

async function pending(device: VirtualDevice, out: Output): Promise<number> {
  await connectAndCollect(device, out);
  const challenges = device.pendingChallenges();
  if (challenges.length === 0 && !out.json) process.stdout.write('no pending challenges\n');
  for (const challenge of challenges) printChallenge(out, challenge);
  return 0;
}

async function decide(device: VirtualDevice, out: Output, decision: Decision, which: string, number: string): Promise<number> {
  await connectAndCollect(device, out);
  const challenges = device.pendingChallenges();
  const challenge = which === 'latest' ? challenges.at(-1) : challenges.find((c) => c.requestId === which);
  if (!challenge) {
    throw new VirtualDeviceError(
      'unknown_request',
      which === 'latest' ? 'no pending challenge' : `no pending challenge ${which} (see: npm run device -- pending)`,
    );
  }
  const result = await device.sendDecision({ requestId: challenge.requestId, decision, number });
  printResult(out, result);
  return result.outcome === EXPECTED_OUTCOME[decision] ? 0 : 1;
}

/** Connects to every relay and waits for the batch of pending challenges that follows `ready`. */
async function connectAndCollect(device: VirtualDevice, out: Output): Promise<void> {
  const origins = requireAccounts(device);
  const connections = await Promise.allSettled(origins.map((origin) => device.connect(origin)));
  let connected = 0;
  connections.forEach((connection, index) => {
    if (connection.status === 'fulfilled') connected += 1;
    else out.fail('not_connected', `${origins[index]}: ${(connection.reason as Error).message}`);
  });
  if (connected === 0) throw new VirtualDeviceError('not_connected', 'no relay accepted this device');
  await quietFor(device, PENDING_BATCH_QUIET_MS);
}

/** Resolves once no frame has arrived for `quietMs`: the only timer the kit allows (CLI only). */
function quietFor(device: VirtualDevice, quietMs: number): Promise<void> {
  return new Promise((resolveQuiet) => {
    const done = () => {
      device.off('frame', restart);
      resolveQuiet();
    };
    let timer = setTimeout(done, quietMs);
    function restart() {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    }
    device.on('frame', restart);
  });
}

function requireAccounts(device: VirtualDevice): string[] {
  const origins = device.relayOrigins();
  if (origins.length === 0) {
    throw new VirtualDeviceError('no_accounts', "the device holds no accounts; pair one with: npm run device -- pair '<link>'");
  }
  return origins;
}

// ---- Printing ----

function printChallenge(out: Output, challenge: ReceivedChallenge): void {
  const expiresInMs = Math.max(0, challenge.expiresAt - Date.now());
  const { context, match } = challenge;
  const matchText =
    match.mode === 'type'
      ? `type the ${match.digits}-digit number shown`
      : match.mode === 'code'
        ? 'a sign-in code the person typed: approve with that code'
        : `choose one of ${match.choices.join(' ')}`;
  out.print(
    [
      `challenge ${challenge.requestId} for ${challenge.account.upn} (${challenge.account.displayName}) on ${challenge.relayOrigin}`,
      `  app      ${challenge.app?.name ?? '(not shown)'}`,
      `  from     ${context.ip}${context.location ? `, ${context.location}` : ''}`,
      `  browser  ${context.browser} on ${context.os}`,
      `  match    ${matchText}`,
      `  expires  in ${Math.round(expiresInMs / 1000)} s`,
    ].join('\n'),
    { event: 'challenge', ...challenge, expiresInMs },
  );
}

function printResult(out: Output, result: FromRelay<{ requestId: string; outcome: string; code?: string | undefined }>): void {
  out.print(`result ${result.requestId}: ${result.outcome}${result.code ? ` (${result.code})` : ''}`, {
    event: 'result',
    ...result,
  });
}

function printNotice(out: Output, device: VirtualDevice, notice: ReceivedNotice): void {
  const upn = device.accounts(notice.relayOrigin).find((account) => account.deviceId === notice.deviceId)?.upn ?? notice.deviceId;
  const at = new Date(notice.at).toISOString();
  const text =
    notice.kind === 'pin_failure'
      ? `notice: a wrong or unconfirmed PIN attempt on "${notice.name}" for ${upn} on ${notice.relayOrigin} at ${at}`
      : notice.kind === 'pin_locked'
        ? `notice: "${notice.name}" for ${upn} on ${notice.relayOrigin} is locked after too many PIN failures (${at}); pair it again`
        : `notice: authenticator "${notice.name}" ${notice.kind === 'authenticator_added' ? 'added to' : 'removed from'} ${upn} on ${notice.relayOrigin} at ${at}`;
  out.print(text, {
    event: 'notice',
    ...notice,
  });
}

function printClose(out: Output, closed: CloseInfo): void {
  const why = closed.error ?? (closed.reason || 'no reason');
  out.print(`${closed.relayOrigin} closed the connection: ${closed.code} (${why})${closed.willReconnect ? '; reconnecting' : ''}`, {
    event: 'close',
    ...closed,
  });
}

// ---- Arguments ----

function exactly(args: string[], count: number, usage: string): string[] {
  if (args.length !== count) throw new UsageError(`usage: npm run device -- ${usage}`);
  return args;
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 10_000;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) throw new UsageError('--timeout takes milliseconds, 1 to 600000');
  return ms;
}

function parseUnlock(value: string | undefined): ApprovalUnlock {
  if (value === undefined) return 'pin';
  if (value === 'pin' || value === 'webauthn') return value;
  throw new UsageError('--unlock takes pin or webauthn');
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await runDeviceCli(process.argv.slice(2));
}
