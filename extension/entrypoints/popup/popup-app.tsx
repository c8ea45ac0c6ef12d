import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, onChanged } from '../../lib/runtime-client.ts';
import type { AppState } from '../../lib/runtime-messages.ts';
import { Home } from './home.tsx';

/**
 * The toolbar popup: accounts, pending requests, pairing and settings. There is no PIN screen of
 * its own: nothing stored could check a PIN (section 4a), so the first pairing chooses it and
 * every later one checks it with the relay of an account already here.
 */
export function PopupApp() {
  const [state, setState] = useState<AppState | null>(null);
  const load = useCallback(async () => setState(await call({ type: 'getState' })), []);
  useEffect(() => {
    void load();
    return onChanged(() => void load());
  }, [load]);

  if (!state) return <main class="muted">Loading…</main>;
  return (
    <main data-testid="popup" data-has-pin={String(state.hasPin)}>
      <h1>
        <img src="/icon/32.png" alt="" /> Countersign
      </h1>
      <Home state={state} />
    </main>
  );
}
