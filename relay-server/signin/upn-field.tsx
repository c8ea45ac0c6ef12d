/** @jsxImportSource hono/jsx */
import { LIMITS } from '../../protocol/limits.ts';

/** The username field of the sign-in and password pages: one name, one set of input hints. */
export function UpnField(props: { value: string | undefined; autofocus: boolean; invalid?: boolean; placeholder?: string }) {
  return (
    <>
      <label for="upn">Email or username</label>
      <input
        id="upn"
        name="upn"
        type="text"
        inputmode="email"
        autocomplete="username"
        autocapitalize="none"
        spellcheck={false}
        maxlength={LIMITS.upnChars}
        required
        autofocus={props.autofocus}
        placeholder={props.placeholder}
        value={props.value ?? ''}
        aria-invalid={props.invalid ? 'true' : undefined}
      />
    </>
  );
}
