import { useEffect, useRef } from 'preact/hooks';
import type { PendingChallenge } from '../../lib/db.ts';

type Match = PendingChallenge['challenge']['match'];

/**
 * Number matching: the code of a sign-in by code shown back, the number typed, or one picked of
 * the choices. The typed number's field takes the focus at open; in "choose from three" nothing
 * does, so no number wears a focus ring as if it were already chosen.
 */
export function NumberMatch({
  match,
  digits,
  number,
  onNumber,
}: {
  match: Match;
  digits: number;
  number: string;
  onNumber(number: string): void;
}) {
  const numberField = useRef<HTMLInputElement>(null);
  useEffect(() => numberField.current?.focus(), []);
  return match.mode === 'code' ? (
    <div data-testid="code-request">
      <div class="muted">The code you entered</div>
      <div class="code-shown" data-testid="request-code">
        {number.slice(0, 4)} {number.slice(4)}
      </div>
      <p class="muted" style="margin:6px 0 0">
        Approve only if you are signing in on that page yourself, and the app, place and browser above are yours.
      </p>
    </div>
  ) : match.mode === 'type' ? (
    <div>
      <label for="number">Enter the number shown on the sign-in page</label>
      <input
        id="number"
        ref={numberField}
        class="number"
        type="text"
        inputMode="numeric"
        autocomplete="off"
        pattern={`[0-9]{${digits}}`}
        maxLength={digits}
        placeholder={'0'.repeat(digits)}
        data-testid="number-input"
        value={number}
        onInput={(event) => onNumber(event.currentTarget.value.replace(/[^0-9]/g, '').slice(0, digits))}
      />
    </div>
  ) : (
    <fieldset style="border:0;padding:0;margin:0">
      <legend style="font-weight:600;margin-bottom:6px">Pick the number shown on the sign-in page</legend>
      <div class="choices">
        {(match.mode === 'choose' ? match.choices : []).map((choice) => (
          <button
            type="button"
            key={choice}
            data-testid="choice"
            aria-pressed={number === choice}
            aria-label={`Number ${choice}`}
            onClick={() => onNumber(choice)}
          >
            {choice}
          </button>
        ))}
      </div>
    </fieldset>
  );
}
