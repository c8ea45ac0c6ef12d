/** @jsxImportSource hono/jsx */
import { relativeTime } from '../../pages/human-time.ts';
import { CsrfField } from '../../pages/layout.tsx';
import type { UserDetails } from '../user-accounts.ts';
import { FieldError, type AdminViewer, type FieldErrors } from './admin-layout.tsx';

/** What every section of the user page gets. */
interface Section {
  user: UserDetails;
  errors: FieldErrors;
  viewer: AdminViewer;
  base: string;
}

const invalid = (errors: FieldErrors, field: string) => (errors[field] ? 'true' : undefined);

export function ProfileForm({ user, errors, viewer, base }: Section) {
  return (
    <>
      <h2>Profile and groups</h2>
      <form method="post" action={base} novalidate>
        <CsrfField token={viewer.csrf} />
        <div class="grid-2">
          <div>
            <label for="displayName">Display name</label>
            <input id="displayName" name="displayName" type="text" value={user.displayName} aria-invalid={invalid(errors, 'displayName')} />
            <FieldError errors={errors} field="displayName" />
          </div>
          <div>
            <label for="email">Email (optional)</label>
            <input id="email" name="email" type="email" value={user.email ?? ''} aria-invalid={invalid(errors, 'email')} />
            <FieldError errors={errors} field="email" />
          </div>
          <div>
            <label for="groups">Groups (comma-separated)</label>
            <input id="groups" name="groups" type="text" value={user.groups.join(', ')} aria-invalid={invalid(errors, 'groups')} />
            <FieldError errors={errors} field="groups" />
          </div>
        </div>
        <label class="check">
          <input type="checkbox" name="isAdmin" value="1" checked={user.isAdmin} disabled={user.upn === viewer.upn} /> Administrator
        </label>
        <div class="actions start">
          <button type="submit" class="button">
            Save
          </button>
        </div>
      </form>
    </>
  );
}

export function PasswordForm({ user, errors, viewer, base }: Section) {
  return (
    <>
      <h2>Reset password</h2>
      <form
        method="post"
        action={`${base}/password`}
        novalidate
        data-confirm={`Set a new password for ${user.upn}? They will be signed out everywhere.`}
        data-confirm-action="Set password"
      >
        <CsrfField token={viewer.csrf} />
        <label for="password">New password (8 or more characters)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" aria-invalid={invalid(errors, 'password')} />
        <FieldError errors={errors} field="password" />
        <div class="actions start">
          <button type="submit" class="button secondary">
            Set password
          </button>
        </div>
      </form>
    </>
  );
}

/** Signing out everywhere keeps its tick box: the confirmation that works without scripts too. */
export function SessionsForm({ user, errors, viewer, base }: Section) {
  return (
    <>
      <h2>Sessions</h2>
      <form method="post" action={`${base}/sessions/revoke`} data-testid="revoke-sessions-form" novalidate>
        <CsrfField token={viewer.csrf} />
        <p class="muted">
          Signs this user out of every browser, and forgets the browsers they signed in from before: until they sign in there again, those
          count as unknown places. Their authenticators stay; they can sign in again.
        </p>
        <label class="check">
          <input type="checkbox" name="confirm" value="1" aria-invalid={invalid(errors, 'confirm')} /> Yes, sign {user.upn} out everywhere
          {user.upn === viewer.upn ? ' (but not here)' : ''}
        </label>
        <FieldError errors={errors} field="confirm" />
        <div class="actions start">
          <button type="submit" class="button danger" data-testid="revoke-sessions">
            Sign out everywhere
          </button>
        </div>
      </form>
    </>
  );
}

export function Authenticators({ user, viewer, now }: Section & { now: number }) {
  return (
    <>
      <h2>Authenticators</h2>
      {user.devices.length === 0 ? <p class="muted">No authenticators.</p> : null}
      <ul class="device-list" data-testid="device-list">
        {user.devices.map((device) => (
          <li class="device" data-testid="device" data-active={device.active ? 'true' : 'false'}>
            <div>
              <div class="device-name">
                {device.name}
                {device.active ? null : (
                  <>
                    {' '}
                    <span
                      class="pill warn"
                      data-testid="device-needs-readding"
                      title="Paired with an older version: it can no longer approve sign-ins"
                    >
                      Needs to be added again
                    </span>
                  </>
                )}
                {device.pinLocked ? (
                  <>
                    {' '}
                    <span
                      class="pill warn"
                      data-testid="device-pin-locked"
                      title="10 wrong or unconfirmed PIN attempts in 30 days: PIN approvals are refused, WebAuthn approvals still work"
                    >
                      PIN locked
                    </span>
                  </>
                ) : null}
              </div>
              <div class="device-meta">
                Added {relativeTime(device.createdAt, now)} · Last used{' '}
                {device.lastUsedAt === null ? 'never' : relativeTime(device.lastUsedAt, now)}
              </div>
            </div>
            <form
              method="post"
              action={`/admin/devices/${encodeURIComponent(device.deviceId)}/revoke`}
              data-confirm={`Revoke "${device.name}"? It will no longer approve sign-ins for ${user.upn}.`}
              data-confirm-action="Revoke"
            >
              <CsrfField token={viewer.csrf} />
              <input type="hidden" name="userId" value={user.userId} />
              <button type="submit" class="button danger small" aria-label={`Revoke ${device.name}`}>
                Revoke
              </button>
            </form>
          </li>
        ))}
      </ul>
    </>
  );
}

export function TapForm({ errors, viewer, base }: Section) {
  return (
    <>
      <h2>Temporary Access Pass</h2>
      <form method="post" action={`${base}/tap`} data-testid="tap-form" novalidate>
        <CsrfField token={viewer.csrf} />
        <div class="grid-2">
          <div>
            <label for="lifetimeMinutes">Valid for (minutes, 10 to 43200 = 30 days)</label>
            <input
              id="lifetimeMinutes"
              name="lifetimeMinutes"
              type="number"
              min={10}
              max={43200}
              value="60"
              aria-invalid={invalid(errors, 'lifetimeMinutes')}
            />
            <FieldError errors={errors} field="lifetimeMinutes" />
          </div>
          <div>
            <label class="check">
              <input type="checkbox" name="oneTime" value="1" checked /> One-time use
            </label>
          </div>
        </div>
        <div class="actions start">
          <button type="submit" class="button secondary">
            Issue pass
          </button>
        </div>
      </form>
    </>
  );
}
