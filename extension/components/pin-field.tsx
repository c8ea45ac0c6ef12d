import type { ComponentChildren } from 'preact';

/**
 * The one way a PIN is typed: a labelled password field with the numeric keypad. `autocomplete`
 * is `new-password` where a PIN is chosen and `off` where one is asked for, so no password
 * manager offers to fill an approval.
 */
export function PinField(props: {
  id: string;
  testId: string;
  label: string;
  value: string;
  onInput(value: string): void;
  autocomplete?: 'off' | 'new-password';
  /** A hint under the field. */
  children?: ComponentChildren;
}) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        inputMode="numeric"
        autocomplete={props.autocomplete}
        data-testid={props.testId}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
      />
      {props.children}
    </div>
  );
}
