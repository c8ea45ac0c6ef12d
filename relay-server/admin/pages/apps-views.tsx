/** @jsxImportSource hono/jsx */
import { CsrfField } from '../../pages/layout.tsx';
import type { RegisteredApp } from '../../store/apps-store.ts';
import { AdminLayout, FieldError, type AdminViewer, type FieldErrors } from './admin-layout.tsx';
import type { NewAppSecret } from './new-app-secret-cookie.ts';

export interface NewAppValues {
  name: string;
  /** One per line, as typed. */
  redirectUris: string;
  /** One per line, as typed. */
  postLogoutRedirectUris: string;
  backchannelLogoutUri: string;
  idTokenAlg: string;
  public: boolean;
  needsConsent: boolean;
}

const DONE_TEXT: Record<string, string> = {
  created: 'App registered.',
  deleted: 'App deleted. It can no longer sign anyone in.',
  rotated: 'New signing keys are in use. The old ones stay published until the tokens they signed expire.',
};

export function AppsPage(props: {
  viewer: AdminViewer;
  apps: RegisteredApp[];
  issuer: string;
  values: NewAppValues;
  errors: FieldErrors;
  done: string | undefined;
  newSecret: NewAppSecret | undefined;
}) {
  return (
    <AdminLayout title="Apps" viewer={props.viewer} current="/admin/apps">
      <h1>Apps</h1>
      <p class="muted">
        Apps sign their users in through Countersign with OpenID Connect. Discovery:{' '}
        <code data-testid="discovery-url">{`${props.issuer}/.well-known/openid-configuration`}</code>
      </p>
      {props.done ? (
        <div class="notice ok" role="status" data-testid="apps-done">
          <p>{DONE_TEXT[props.done]}</p>
        </div>
      ) : null}
      {props.newSecret ? <NewSecret secret={props.newSecret} /> : null}
      <table data-testid="app-table" class="stack-table">
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Client id</th>
            <th scope="col">Redirect URIs</th>
            <th scope="col">Sign-out</th>
            <th scope="col">Type</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.apps.map((app) => (
            <tr data-testid="app-row" data-client-id={app.clientId}>
              <td data-label="App">{app.name}</td>
              <td data-label="Client id">
                <code>{app.clientId}</code>
              </td>
              <td data-label="Redirect URIs">
                {app.redirectUris.length > 0
                  ? app.redirectUris.map((uri) => <div class="wrap-anywhere">{uri}</div>)
                  : 'None (sign-in page only)'}
              </td>
              <td data-label="Sign-out" data-testid="app-logout">
                {app.postLogoutRedirectUris.map((uri) => (
                  <div class="wrap-anywhere">{uri}</div>
                ))}
                {app.backchannelLogoutUri ? <div class="wrap-anywhere">Back-channel: {app.backchannelLogoutUri}</div> : null}
                {app.postLogoutRedirectUris.length === 0 && !app.backchannelLogoutUri ? '—' : null}
              </td>
              <td data-label="Type">
                {app.redirectUris.length === 0 ? 'Name only' : app.public ? 'Public (PKCE)' : 'Confidential'}
                {app.needsConsent ? ', asks for consent' : ''}
                {app.redirectUris.length > 0 ? `, ${app.idTokenAlg}` : ''}
              </td>
              <td data-label="Actions">
                <form
                  method="post"
                  action={`/admin/apps/${encodeURIComponent(app.clientId)}/delete`}
                  data-confirm={`Delete “${app.name}”? It will no longer be able to sign anyone in.`}
                  data-confirm-action="Delete"
                >
                  <CsrfField token={props.viewer.csrf} />
                  <button type="submit" class="danger" data-testid="delete-app">
                    Delete
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <NewAppForm csrf={props.viewer.csrf} values={props.values} errors={props.errors} />
      <h2>Signing keys</h2>
      <p class="muted">
        ID tokens are signed with keys published at the discovery document's jwks_uri. Rotate them if you think a key leaked.
      </p>
      <form
        method="post"
        action="/admin/apps/signing-keys/rotate"
        data-confirm="Make new signing keys now? Tokens signed before stay valid until they expire."
        data-confirm-action="Rotate keys"
      >
        <CsrfField token={props.viewer.csrf} />
        <button type="submit" data-testid="rotate-keys">
          Rotate signing keys
        </button>
      </form>
    </AdminLayout>
  );
}

function NewSecret({ secret }: { secret: NewAppSecret }) {
  return (
    <div class="notice warn" role="alert" data-testid="new-app-secret">
      <p>
        <strong>Copy the client secret now.</strong> It is shown only this once; Countersign keeps only a hash of it.
      </p>
      <p>
        Client id: <code data-testid="new-client-id">{secret.clientId}</code>
      </p>
      <p>Client secret:</p>
      <div class="tap-row">
        <code class="secret" id="new-client-secret" data-testid="new-client-secret">
          {secret.clientSecret}
        </code>
        <button type="button" class="button small secondary" data-copy="new-client-secret" data-copy-status="secret-copied" hidden>
          Copy
        </button>
      </div>
      <p class="small" id="secret-copied" role="status" aria-live="polite"></p>
    </div>
  );
}

function NewAppForm({ csrf, values, errors }: { csrf: string; values: NewAppValues; errors: FieldErrors }) {
  return (
    <>
      <h2>Register an app</h2>
      <form method="post" action="/admin/apps" data-testid="create-app-form" novalidate>
        <CsrfField token={csrf} />
        <label for="app-name">Name (shown on the sign-in page and on the authenticator)</label>
        <input id="app-name" name="name" type="text" maxlength={64} value={values.name} aria-invalid={errors.name ? 'true' : undefined} />
        <FieldError errors={errors} field="name" />
        <label for="app-redirects">Redirect URIs, one per line (https, or http on localhost)</label>
        <textarea id="app-redirects" name="redirectUris" rows={3} aria-invalid={errors.redirectUris ? 'true' : undefined}>
          {values.redirectUris}
        </textarea>
        <FieldError errors={errors} field="redirectUris" />
        <label for="app-post-logout">
          Sign-out return URIs, one per line (optional: where the app may send people after signing them out)
        </label>
        <textarea
          id="app-post-logout"
          name="postLogoutRedirectUris"
          rows={2}
          aria-invalid={errors.postLogoutRedirectUris ? 'true' : undefined}
        >
          {values.postLogoutRedirectUris}
        </textarea>
        <FieldError errors={errors} field="postLogoutRedirectUris" />
        <label for="app-backchannel">Back-channel logout URI (optional: told when a person's Countersign session ends)</label>
        <input
          id="app-backchannel"
          name="backchannelLogoutUri"
          type="text"
          inputmode="url"
          value={values.backchannelLogoutUri}
          aria-invalid={errors.backchannelLogoutUri ? 'true' : undefined}
        />
        <FieldError errors={errors} field="backchannelLogoutUri" />
        <label for="app-alg">ID token signature</label>
        <select id="app-alg" name="idTokenAlg" aria-invalid={errors.idTokenAlg ? 'true' : undefined}>
          <option value="RS256" selected={values.idTokenAlg !== 'ES256'}>
            RS256 (every library accepts it)
          </option>
          <option value="ES256" selected={values.idTokenAlg === 'ES256'}>
            ES256
          </option>
        </select>
        <FieldError errors={errors} field="idTokenAlg" />
        <label class="check">
          <input type="checkbox" name="public" checked={values.public} /> Public client (a browser or mobile app: no secret, PKCE required)
        </label>
        <label class="check">
          <input type="checkbox" name="needsConsent" checked={values.needsConsent} /> Ask each person once before the app learns who they
          are
        </label>
        <div class="actions start">
          <button type="submit" class="button">
            Register app
          </button>
        </div>
      </form>
    </>
  );
}
