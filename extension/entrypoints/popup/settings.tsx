import { call } from '../../lib/runtime-client.ts';
import type { AppState } from '../../lib/runtime-messages.ts';
import { ChangePinForm } from './change-pin-form.tsx';

/** The popup's settings: when the approval window opens, remembering the PIN, and changing it. */
export function Settings({ state }: { state: AppState }) {
  return (
    <details class="card" style="margin-top:12px" data-testid="settings">
      <summary>Settings</summary>
      <div class="stack" style="margin-top:10px">
        <label class="check">
          <input
            type="checkbox"
            data-testid="auto-open"
            checked={state.prefs.autoOpen}
            onChange={(e) => void call({ type: 'setPrefs', autoOpen: e.currentTarget.checked })}
          />
          Open the approval window when a request arrives
        </label>
        <label class="check">
          <input
            type="checkbox"
            data-testid="remember-pin-default"
            checked={state.prefs.rememberPin}
            onChange={(e) => void call({ type: 'setPrefs', rememberPin: e.currentTarget.checked })}
          />
          Offer to remember my PIN for 5 minutes
        </label>
        {state.pinRemembered && (
          <button type="button" onClick={() => void call({ type: 'forgetPin' })}>
            Forget the remembered PIN now
          </button>
        )}
        <ChangePinForm pinAccounts={state.pinAccounts} />
      </div>
    </details>
  );
}
