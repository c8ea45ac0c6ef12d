import { html } from 'hono/html';

/**
 * The 403 a person sees when a proxy passes the check's answer through (Caddy, Traefik): plain
 * HTML with no assets, since it is shown on the protected site's address, where the relay's
 * stylesheets are not.
 */
export function forbiddenPage(relayOrigin: string, reason: 'no_rule' | 'not_in_groups') {
  const detail =
    reason === 'not_in_groups'
      ? 'You are signed in, but your account is not in a group this site allows. Ask your administrator for access.'
      : 'This site is not one Countersign protects. Ask your administrator to add it.';
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Access denied</title>
      </head>
      <body>
        <h1 data-testid="forward-auth-forbidden">Access denied</h1>
        <p>${detail}</p>
        <p><a href="${relayOrigin}/me">Your Countersign account</a></p>
      </body>
    </html>`;
}
