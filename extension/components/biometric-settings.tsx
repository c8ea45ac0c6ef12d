import { useCallback, useEffect, useState } from 'preact/hooks';
import { fromBase64Url } from '../../protocol/index.ts';
import { unlockAccount } from '../lib/pin-flows.ts';
import { isPinLongEnough } from '../../protocol/pin-rule.ts';
import { call, onChanged } from '../lib/runtime-client.ts';
import type { PinAccount } from '../lib/runtime-messages.ts';
import { createUnlockCredential, evaluatePrf, newPrfSalt } from '../lib/webauthn-ceremony.ts';
import type { BiometricStatus } from '../lib/webauthn-unlock.ts';
import { wrapForBiometric } from '../lib/webauthn-wrap.ts';
import { biometricFailureText } from './biometric-messages.ts';
import { PinField } from './pin-field.tsx';

/**
 * "Unlock with Windows Hello, Touch ID or a security key": turning it on makes a WebAuthn
 * credential with PRF on this page, then asks for the PIN once: each account is unlocked with it
 * through its relay (section 4a) and its approval key wrapped again here under the PRF-derived key. Accounts added later are unlocked with the PIN only until "Include"
 * runs the same setup again with the same credential. Turning it off leaves the PIN.
 */
export function BiometricSettings({ pinAccounts }: { pinAccounts: PinAccount[] }) {
  const [status, setStatus] = useState<BiometricStatus | null>(null);
  const [pin, setPin] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string; code?: string } | null>(null);
  // A credential made in this session but not yet set up (say, the PIN was wrong): used again, not made twice.
  const [fresh, setFresh] = useState<{ credentialId: string; prfSalt: string } | null>(null);

  const load = useCallback(async () => setStatus(await call({ type: 'getBiometric' })), []);
  useEffect(() => {
    void load();
    return onChanged(() => void load());
  }, [load]);

  if (!status) return null;
  const state = status.enabled ? 'on' : 'off';
  const uncovered = status.accounts - status.covered;

  const setUp = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      let credential =
        status.enabled && status.credentialId && status.prfSalt ? { credentialId: status.credentialId, prfSalt: status.prfSalt } : fresh;
      if (!credential) {
        const created = await createUnlockCredential();
        if (!created.ok)
          return setMessage({ ok: false, code: created.code, text: biometricFailureText(created.code, undefined, Date.now()) });
        credential = { credentialId: created.value.credentialId, prfSalt: newPrfSalt() };
        setFresh(credential);
      }
      const prf = await evaluatePrf(credential.credentialId, credential.prfSalt);
      if (!prf.ok) return setMessage({ ok: false, code: prf.code, text: biometricFailureText(prf.code, undefined, Date.now()) });
      const result = await coverAccounts(pinAccounts, pin, prf.value, credential);
      if (!result.ok)
        return setMessage({
          ok: false,
          code: result.code,
          text: biometricFailureText(result.code, undefined, Date.now(), result.attemptsLeft),
        });
      setFresh(null);
      setPin('');
      setStatus(result.status);
      setMessage({ ok: true, text: 'Biometric unlock is on. Your PIN still works too.' });
    } finally {
      setBusy(false);
    }
  };

  const turnOff = async () => {
    setBusy(true);
    try {
      await call({ type: 'disableBiometric' });
      await load();
      setMessage({ ok: true, text: 'Biometric unlock is off. Approve with your PIN.' });
    } finally {
      setBusy(false);
    }
  };

  const needsSetup = !status.enabled || uncovered > 0;
  return (
    <section class="card stack" style="margin-top:12px" data-testid="biometric" data-state={state} aria-labelledby="biometric-title">
      <strong id="biometric-title">Unlock with Windows Hello, Touch ID or a security key</strong>
      {status.enabled ? (
        <p class="muted" data-testid="biometric-status">
          On: approve with your fingerprint, face or security key instead of the PIN.
          {uncovered > 0 &&
            ` ${uncovered === 1 ? 'One account was' : `${uncovered} accounts were`} added since and still need${uncovered === 1 ? 's' : ''} the PIN: include ${uncovered === 1 ? 'it' : 'them'} below.`}
        </p>
      ) : (
        <p class="muted" data-testid="biometric-status">
          Approve with your fingerprint, face or security key instead of typing the PIN. The PIN stays as the fallback. Setting this up asks
          for your PIN once.
        </p>
      )}
      {needsSetup && status.accounts > 0 && (
        <form class="stack" onSubmit={(e) => void setUp(e)} aria-label="Set up biometric unlock">
          <PinField id="biometric-pin" testId="biometric-pin" label="Your PIN" autocomplete="off" value={pin} onInput={setPin} />
          <button type="submit" class="primary" data-testid="biometric-enable" disabled={busy || !isPinLongEnough(pin)}>
            {busy ? 'Waiting for your authenticator…' : status.enabled ? 'Include the new accounts' : 'Turn on'}
          </button>
        </form>
      )}
      {status.accounts === 0 && !status.enabled && <p class="muted">Add an account first.</p>}
      {status.enabled && (
        <button type="button" data-testid="biometric-disable" disabled={busy} onClick={() => void turnOff()}>
          Turn off (keep the PIN)
        </button>
      )}
      {message && (
        <p
          class={message.ok ? 'muted' : 'alert'}
          role={message.ok ? 'status' : 'alert'}
          data-testid="biometric-message"
          data-code={message.code}
        >
          {message.text}
        </p>
      )}
    </section>
  );
}

/** Unlocks each account with the PIN (through its relay), wraps it under the PRF key here, and has the worker store the copies. */
async function coverAccounts(
  accounts: PinAccount[],
  pin: string,
  prf: string,
  credential: { credentialId: string; prfSalt: string },
): Promise<{ ok: true; status: BiometricStatus } | { ok: false; code: string; attemptsLeft?: number | null }> {
  const secrets: Array<{ deviceId: string; publicKey: string; secretKey: Uint8Array }> = [];
  const prfOutput = fromBase64Url(prf);
  try {
    for (const account of accounts.filter((item) => !item.pinLocked)) {
      const unlocked = await unlockAccount(account, pin);
      if (!unlocked.ok) return { ok: false, code: unlocked.code, attemptsLeft: unlocked.attemptsLeft ?? null };
      secrets.push({ deviceId: account.deviceId, publicKey: account.publicKey, secretKey: unlocked.secretKey });
    }
    const wrapped = await wrapForBiometric(prfOutput, secrets);
    const stored = await call({ type: 'enableBiometric', ...credential, ...wrapped });
    return stored.ok ? stored : { ok: false, code: stored.code };
  } finally {
    prfOutput.fill(0);
    for (const { secretKey } of secrets) secretKey.fill(0);
  }
}
