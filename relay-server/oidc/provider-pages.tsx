/** @jsxImportSource hono/jsx */
import { raw } from 'hono/html';
import { MessagePage } from '../pages/message-page.tsx';

/** Pages the OpenID Provider itself shows, in the relay's look (the provider renders them into Koa). */
async function page(element: { toString(): string | Promise<string> }): Promise<string> {
  return `<!DOCTYPE html>${await element.toString()}`;
}

/** Why an app's request was refused, in words; never a link back to an unregistered address. */
const ERROR_TEXT: Record<string, string> = {
  invalid_client: 'This app is not registered with Countersign, or it was removed.',
  invalid_redirect_uri: 'The app asked to be sent back to an address it has not registered.',
  invalid_request: 'The app sent a sign-in request Countersign cannot use.',
  unauthorized_client: 'This app may not sign people in this way.',
  invalid_scope: 'The app asked for access Countersign does not give.',
  session_not_found: 'This sign-in took too long or was opened in another browser.',
};

export function errorPageHtml(code: string, description: string | undefined): Promise<string> {
  const text = ERROR_TEXT[code] ?? 'The app’s sign-in request could not be completed.';
  return page(
    <MessagePage title="Sign-in could not continue">
      <p data-testid="oidc-error" data-code={code}>
        {text} Go back to the app and try again; if it keeps happening, tell the app’s administrator.
      </p>
      {description ? <p class="muted">Details for the app’s administrator: {description}</p> : null}
    </MessagePage>,
  );
}

export function logoutPageHtml(appName: string | undefined, providerForm: string): Promise<string> {
  return page(
    <MessagePage title="Sign out?">
      <p>{appName ? `${appName} asks to sign you out of Countersign.` : 'Sign out of Countersign?'}</p>
      {raw(providerForm)}
      <div class="actions">
        <button class="button secondary" type="submit" form="op.logoutForm" data-testid="stay-signed-in">
          Stay signed in
        </button>
        <button class="button" type="submit" form="op.logoutForm" name="logout" value="yes" data-testid="confirm-logout">
          Sign out
        </button>
      </div>
    </MessagePage>,
  );
}

export function signedOutPageHtml(appName: string | undefined): Promise<string> {
  return page(
    <MessagePage title="You signed out" links={[{ href: '/signin', label: 'Sign in again' }]}>
      <p>{appName ? `You signed out of ${appName}.` : 'You signed out.'}</p>
    </MessagePage>,
  );
}
