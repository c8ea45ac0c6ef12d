/** @jsxImportSource hono/jsx */
import { CsrfField, Layout, Notice } from '../pages/layout.tsx';
import { UpnField } from './upn-field.tsx';

export interface PasswordPageProps {
  csrf: string;
  app: { id: string; name: string } | undefined;
  upn?: string | undefined;
  error?: string | undefined;
  /** True when the policy may offer phone sign-in: link back to it. */
  passwordless: boolean;
  /** The app sign-in this one was started for (signin/waiting-app.ts), carried through the form. */
  interaction?: string | undefined;
}

/** Username and password; a Temporary Access Pass goes in the password field too. */
export function PasswordPage({ csrf, app, upn, error, passwordless, interaction }: PasswordPageProps) {
  const query = new URLSearchParams();
  if (app) query.set('app', app.id);
  if (upn) query.set('upn', upn);
  if (interaction) query.set('interaction', interaction);
  const back = `/signin${query.size > 0 ? `?${query.toString()}` : ''}`;
  return (
    <Layout title="Sign in with a password">
      <h1>Enter password</h1>
      <p class="muted">{app ? `to continue to ${app.name}` : 'with your Countersign account'}</p>
      {error ? (
        <Notice kind="error">
          <p data-testid="password-error">{error}</p>
        </Notice>
      ) : null}
      <form method="post" action="/signin/password" data-testid="password-form">
        <CsrfField token={csrf} />
        {app ? <input type="hidden" name="app" value={app.id} /> : null}
        {interaction ? <input type="hidden" name="interaction" value={interaction} /> : null}
        <UpnField value={upn} autofocus={!upn} invalid={Boolean(error)} />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          maxlength={256}
          required
          autofocus={Boolean(upn)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby="password-hint"
        />
        <p class="field-hint" id="password-hint">
          Have a Temporary Access Pass from your administrator? Enter it here instead of a password.
        </p>
        <div class="actions">
          <button type="submit" class="button">
            Sign in
          </button>
        </div>
      </form>
      {passwordless ? (
        <div class="links">
          <a href={back}>Sign in with your authenticator instead</a>
        </div>
      ) : null}
    </Layout>
  );
}
