/** @jsxImportSource hono/jsx */
import { CsrfField } from '../../pages/layout.tsx';
import type { ForwardAuthRule } from '../../store/forward-auth-store.ts';
import { AdminLayout, FieldError, type AdminViewer, type FieldErrors } from './admin-layout.tsx';

export interface NewSiteValues {
  host: string;
  /** Comma-separated, as typed. */
  groups: string;
  policy: 'session' | 'approval';
  /** Minutes, as typed. */
  maxAgeMinutes: string;
}

const DONE_TEXT: Record<string, string> = {
  added: 'Site protected. Its proxy now asks Countersign before every request.',
  removed: 'Site removed. Its proxy is now refused (403) for everyone until a rule names it again.',
};

/** "12 hours", "90 minutes": how often an approval rule asks again. */
function everyWhile(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  if (minutes % 1440 === 0) return `${minutes / 1440} day${minutes === 1440 ? '' : 's'}`;
  if (minutes % 60 === 0) return `${minutes / 60} hour${minutes === 60 ? '' : 's'}`;
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** /admin/protected-sites: the forward-auth rules (docs/protocol.md section 10). */
export function ProtectedSitesPage(props: {
  viewer: AdminViewer;
  rules: ForwardAuthRule[];
  checkUrl: string;
  scope: string;
  values: NewSiteValues;
  errors: FieldErrors;
  done: string | undefined;
}) {
  return (
    <AdminLayout title="Protected sites" viewer={props.viewer} current="/admin/protected-sites">
      <h1>Protected sites</h1>
      <p class="muted">
        Sites behind nginx, Caddy or Traefik that ask Countersign before each request (forward auth). Point the proxy at{' '}
        <code class="wrap-anywhere" data-testid="forward-auth-url">
          {props.checkUrl}
        </code>
        ; the README has configurations to copy.
      </p>
      {props.done ? (
        <div class="notice ok" role="status" data-testid="sites-done">
          <p>{DONE_TEXT[props.done]}</p>
        </div>
      ) : null}
      {props.rules.length === 0 ? (
        <p data-testid="no-sites">No site is protected yet. A proxy that asks about any site gets 403 until a rule names it.</p>
      ) : (
        <table data-testid="site-table" class="stack-table">
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Who may enter</th>
              <th scope="col">Sign-in needed</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rules.map((rule) => (
              <tr data-testid="site-row" data-host={rule.host}>
                <td data-label="Site">
                  <code class="wrap-anywhere">{rule.host}</code>
                </td>
                <td data-label="Allowed">{rule.groups.length > 0 ? `Groups: ${rule.groups.join(', ')}` : 'Everyone signed in'}</td>
                <td data-label="Needs">
                  {rule.policy === 'approval'
                    ? `An approval on an authenticator, again after ${everyWhile(rule.maxAgeSeconds)}`
                    : 'Any sign-in'}
                </td>
                <td data-label="Actions">
                  <form
                    method="post"
                    action={`/admin/protected-sites/${encodeURIComponent(rule.host)}/delete`}
                    data-confirm={`Stop protecting ${rule.host}? Its proxy will refuse everyone until a rule names it again.`}
                    data-confirm-action="Remove"
                  >
                    <CsrfField token={props.viewer.csrf} />
                    <button type="submit" class="danger" data-testid="remove-site">
                      Remove
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <NewSiteForm csrf={props.viewer.csrf} values={props.values} errors={props.errors} scope={props.scope} />
    </AdminLayout>
  );
}

function NewSiteForm({ csrf, values, errors, scope }: { csrf: string; values: NewSiteValues; errors: FieldErrors; scope: string }) {
  return (
    <>
      <h2>Protect a site</h2>
      <form method="post" action="/admin/protected-sites" data-testid="protect-site-form" novalidate>
        <CsrfField token={csrf} />
        <label for="site-host">Host name ({scope})</label>
        <input
          id="site-host"
          name="host"
          type="text"
          inputmode="url"
          autocomplete="off"
          maxlength={255}
          value={values.host}
          aria-invalid={errors.host ? 'true' : undefined}
        />
        <FieldError errors={errors} field="host" />
        <label for="site-groups">Groups allowed, comma-separated (empty: everyone signed in)</label>
        <input id="site-groups" name="groups" type="text" value={values.groups} aria-invalid={errors.groups ? 'true' : undefined} />
        <FieldError errors={errors} field="groups" />
        <fieldset>
          <legend>Sign-in needed</legend>
          <label class="check">
            <input type="radio" name="policy" value="session" checked={values.policy === 'session'} /> Any sign-in to Countersign
          </label>
          <label class="check">
            <input type="radio" name="policy" value="approval" checked={values.policy === 'approval'} /> An approval on an authenticator,
            asked for again after a while
          </label>
        </fieldset>
        <label for="site-max-age">Ask for a new approval after (minutes; approval only)</label>
        <input
          id="site-max-age"
          name="maxAgeMinutes"
          type="text"
          inputmode="numeric"
          value={values.maxAgeMinutes}
          aria-invalid={errors.maxAgeMinutes ? 'true' : undefined}
        />
        <FieldError errors={errors} field="maxAgeMinutes" />
        <div class="actions start">
          <button type="submit" class="button">
            Protect site
          </button>
        </div>
      </form>
    </>
  );
}
