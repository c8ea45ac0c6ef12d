/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { Policy } from '../../protocol/messages.ts';
import { luckyGuessChance } from '../../protocol/number-match.ts';
import type { userDetails } from './user-accounts.ts';
import type { SigninRow } from '../store/schema.ts';
import { ASSETS } from '../pages/asset-routes.ts';
import { absoluteTime, relativeTime } from '../pages/human-time.ts';
import { CsrfField, Layout, Notice, type Viewer } from '../pages/layout.tsx';

export type FieldErrors = Record<string, string>;

/** The viewer of an admin page; `demoPasswordOnly` when demo mode let a password-only session in. */
export interface AdminViewer extends Viewer {
  demoPasswordOnly?: boolean;
}
type UserDetails = Awaited<ReturnType<typeof userDetails>>;

const TABS = [
  { href: '/admin/policy', label: 'Authentication methods policy' },
  { href: '/admin/users', label: 'Users' },
  { href: '/admin/signins', label: 'Sign-in log' },
] as const;

export function AdminLayout({ title, viewer, current, children }: { title: string; viewer: AdminViewer; current: string; children?: Child }) {
  return (
    <Layout title={title} width="full" viewer={viewer} scripts={[ASSETS.admin.url]}>
      {viewer.demoPasswordOnly ? (
        <div class="notice warn" role="alert" data-testid="demo-admin-warning">
          <p>
            <strong>Demo mode.</strong> You are on the admin pages with a password alone. Outside demo mode (COUNTERSIGN_DEMO=1) the admin
            pages need a sign-in approved on an authenticator.
          </p>
        </div>
      ) : null}
      <nav class="tabs" aria-label="Admin">
        {TABS.map((tab) => (
          <a href={tab.href} aria-current={tab.href === current ? 'page' : undefined}>
            {tab.label}
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
}

function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  const message = errors[field];
  return message ? (
    <p class="field-error" id={`${field}-error`} data-testid={`error-${field}`}>
      {message}
    </p>
  ) : null;
}

export function luckyGuessText(mode: 'type' | 'choose', digits: number): string {
  return `Chance of a lucky guess: 1 in ${Math.round(1 / luckyGuessChance(mode, digits)).toLocaleString('en-US')}`;
}

/** The values a policy form shows: the saved policy, or what was posted when it had errors. */
export interface PolicyFormValues {
  enabled: boolean;
  targetsAll: boolean;
  targetGroups: string;
  excludeGroups: string;
  mode: string;
  matchMode: string;
  digits: string;
  showAppName: boolean;
  showLocation: boolean;
  requestTtlSeconds: string;
  maxPushesPer10Min: string;
  lockoutAfterFailures: string;
}

export function policyFormValues(policy: Policy): PolicyFormValues {
  return {
    enabled: policy.enabled,
    targetsAll: policy.targets === 'all',
    targetGroups: policy.targets === 'all' ? '' : policy.targets.join(', '),
    excludeGroups: policy.excludeGroups.join(', '),
    mode: policy.mode,
    matchMode: policy.match.mode,
    digits: String(policy.match.digits),
    showAppName: policy.showAppName,
    showLocation: policy.showLocation,
    requestTtlSeconds: String(policy.requestTtlSeconds),
    maxPushesPer10Min: String(policy.maxPushesPer10Min),
    lockoutAfterFailures: String(policy.lockoutAfterFailures),
  };
}

export function PolicyPage(props: { viewer: AdminViewer; values: PolicyFormValues; errors: FieldErrors; saved?: boolean; groups: string[] }) {
  const { values, errors } = props;
  const digits = Number(values.digits);
  const validDigits = Number.isInteger(digits) && digits >= 2 && digits <= 6;
  const invalid = (field: string) => (errors[field] ? 'true' : undefined);
  return (
    <AdminLayout title="Authentication methods policy" viewer={props.viewer} current="/admin/policy">
      <h1>Authentication methods policy</h1>
      <p class="muted">Who may sign in with an authenticator approval, how numbers are matched, and the limits against push fatigue.</p>
      {props.saved ? (
        <Notice kind="ok">
          <p>Policy saved. It applies to the next sign-in request.</p>
        </Notice>
      ) : null}
      {Object.keys(errors).length > 0 ? (
        <Notice kind="error">
          <p>The policy was not saved. Fix the fields marked below.</p>
        </Notice>
      ) : null}
      <form method="post" action="/admin/policy" data-testid="policy-form" novalidate>
        <CsrfField token={props.viewer.csrf} />
        <label class="check">
          <input type="checkbox" name="enabled" value="1" checked={values.enabled} /> Enable authenticator sign-in
        </label>

        <fieldset>
          <legend>Users</legend>
          <label class="check">
            <input type="radio" name="targets" value="all" checked={values.targetsAll} /> All users
          </label>
          <label class="check">
            <input type="radio" name="targets" value="groups" checked={!values.targetsAll} /> Selected groups
          </label>
          <label for="targetGroups">Target groups (comma-separated)</label>
          <input id="targetGroups" name="targetGroups" type="text" value={values.targetGroups} aria-invalid={invalid('targets')} />
          <FieldError errors={errors} field="targets" />
          <label for="excludeGroups">Excluded groups (comma-separated)</label>
          <input id="excludeGroups" name="excludeGroups" type="text" value={values.excludeGroups} aria-invalid={invalid('excludeGroups')} />
          <FieldError errors={errors} field="excludeGroups" />
          <p class="field-hint">Known groups: {props.groups.length > 0 ? props.groups.join(', ') : 'none yet'}.</p>
        </fieldset>

        <fieldset>
          <legend>Sign-in mode and number matching</legend>
          <label for="mode">Authentication mode</label>
          <select id="mode" name="mode" aria-invalid={invalid('mode')}>
            <option value="any" selected={values.mode === 'any'}>
              Any: passwordless, or approval after a password
            </option>
            <option value="push" selected={values.mode === 'push'}>
              Push: approval as a second factor after a password
            </option>
            <option value="passwordless" selected={values.mode === 'passwordless'}>
              Passwordless: approval instead of a password
            </option>
          </select>
          <FieldError errors={errors} field="mode" />
          <div class="grid-2">
            <div>
              <label for="match-mode">Number matching</label>
              <select id="match-mode" name="matchMode" aria-invalid={invalid('match.mode')}>
                <option value="type" selected={values.matchMode === 'type'}>
                  Type the number shown
                </option>
                <option value="choose" selected={values.matchMode === 'choose'}>
                  Choose it from three
                </option>
              </select>
              <FieldError errors={errors} field="match.mode" />
            </div>
            <div>
              <label for="match-digits">Digits (2 to 6)</label>
              <input id="match-digits" name="digits" type="number" min={2} max={6} step={1} value={values.digits} aria-invalid={invalid('match.digits')} />
              <FieldError errors={errors} field="match.digits" />
            </div>
          </div>
          <p class="field-hint" id="lucky-guess" data-testid="lucky-guess" aria-live="polite">
            {validDigits ? luckyGuessText(values.matchMode === 'choose' ? 'choose' : 'type', digits) : ''}
          </p>
        </fieldset>

        <fieldset>
          <legend>What the authenticator shows</legend>
          <label class="check">
            <input type="checkbox" name="showAppName" value="1" checked={values.showAppName} /> Show the application's name
          </label>
          <label class="check">
            <input type="checkbox" name="showLocation" value="1" checked={values.showLocation} /> Show the location of the sign-in
          </label>
        </fieldset>

        <fieldset>
          <legend>Limits</legend>
          <div class="grid-2">
            <div>
              <label for="requestTtlSeconds">Request lifetime (seconds, 30 to 600)</label>
              <input id="requestTtlSeconds" name="requestTtlSeconds" type="number" min={30} max={600} value={values.requestTtlSeconds} aria-invalid={invalid('requestTtlSeconds')} />
              <FieldError errors={errors} field="requestTtlSeconds" />
            </div>
            <div>
              <label for="maxPushesPer10Min">Push budget per user per 10 minutes</label>
              <input id="maxPushesPer10Min" name="maxPushesPer10Min" type="number" min={1} max={1000} value={values.maxPushesPer10Min} aria-invalid={invalid('maxPushesPer10Min')} />
              <FieldError errors={errors} field="maxPushesPer10Min" />
            </div>
            <div>
              <label for="lockoutAfterFailures">Lock pushes after this many failures</label>
              <input id="lockoutAfterFailures" name="lockoutAfterFailures" type="number" min={1} max={1000} value={values.lockoutAfterFailures} aria-invalid={invalid('lockoutAfterFailures')} />
              <FieldError errors={errors} field="lockoutAfterFailures" />
            </div>
          </div>
        </fieldset>
        <div class="actions start">
          <button type="submit" class="button">
            Save policy
          </button>
        </div>
      </form>
    </AdminLayout>
  );
}

export interface NewUserValues {
  upn: string;
  displayName: string;
  groups: string;
}

export function UsersPage(props: { viewer: AdminViewer; users: UserDetails[]; values: NewUserValues; errors: FieldErrors; now: number }) {
  const { errors, values } = props;
  return (
    <AdminLayout title="Users" viewer={props.viewer} current="/admin/users">
      <h1>Users</h1>
      <div class="table-wrap">
        <table data-testid="user-table">
          <thead>
            <tr>
              <th>User</th>
              <th>Name</th>
              <th>Groups</th>
              <th>Authenticators</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((user) => (
              <tr data-testid="user-row">
                <td>
                  <a href={`/admin/users/${encodeURIComponent(user.userId)}`} class="mono">
                    {user.upn}
                  </a>
                </td>
                <td>{user.displayName}</td>
                <td>{user.groups.join(', ')}</td>
                <td>{user.devices.length}</td>
                <td>
                  <UserStatus user={user} now={props.now} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Add a user</h2>
      <form method="post" action="/admin/users" data-testid="create-user-form" novalidate>
        <CsrfField token={props.viewer.csrf} />
        <div class="grid-2">
          <div>
            <label for="new-upn">User principal name</label>
            <input id="new-upn" name="upn" type="text" value={values.upn} aria-invalid={errors.upn ? 'true' : undefined} />
            <FieldError errors={errors} field="upn" />
          </div>
          <div>
            <label for="new-displayName">Display name</label>
            <input id="new-displayName" name="displayName" type="text" value={values.displayName} aria-invalid={errors.displayName ? 'true' : undefined} />
            <FieldError errors={errors} field="displayName" />
          </div>
          <div>
            <label for="new-password">Password (optional, 8 or more characters)</label>
            <input id="new-password" name="password" type="password" autocomplete="new-password" aria-invalid={errors.password ? 'true' : undefined} />
            <FieldError errors={errors} field="password" />
          </div>
          <div>
            <label for="new-groups">Groups (comma-separated)</label>
            <input id="new-groups" name="groups" type="text" value={values.groups} aria-invalid={errors.groups ? 'true' : undefined} />
            <FieldError errors={errors} field="groups" />
          </div>
        </div>
        <p class="field-hint">Without a password, issue a Temporary Access Pass so the user can register an authenticator.</p>
        <div class="actions start">
          <button type="submit" class="button">
            Add user
          </button>
        </div>
      </form>
    </AdminLayout>
  );
}

function UserStatus({ user, now }: { user: UserDetails; now: number }) {
  if (user.atRisk)
    return (
      <span class="pill bad" data-testid="at-risk">
        At risk
      </span>
    );
  if (user.lockedUntil !== null && user.lockedUntil > now) return <span class="pill warn">Pushes locked for some addresses</span>;
  return <span class="pill ok">OK</span>;
}

export function UserPage(props: {
  viewer: AdminViewer;
  user: UserDetails;
  now: number;
  errors: FieldErrors;
  notice?: string | undefined;
  tap?: { code: string; expiresAt: number; oneTime: boolean } | undefined;
}) {
  const { user, errors, viewer } = props;
  const base = `/admin/users/${encodeURIComponent(user.userId)}`;
  return (
    <AdminLayout title={user.upn} viewer={viewer} current="/admin/users">
      <p>
        <a href="/admin/users">← All users</a>
      </p>
      <h1>{user.displayName}</h1>
      <p class="mono">{user.upn}</p>
      {props.notice ? (
        <Notice kind="ok">
          <p>{props.notice}</p>
        </Notice>
      ) : null}
      {user.atRisk ? (
        <Notice kind="error">
          <p>
            <strong>At risk.</strong> This user reported a sign-in request that wasn't theirs ("It wasn't me"). Push sign-in is
            blocked until you clear it.
          </p>
          <form method="post" action={`${base}/clear-risk`}>
            <CsrfField token={viewer.csrf} />
            <button type="submit" class="button small" data-testid="clear-risk">
              Clear
            </button>
          </form>
        </Notice>
      ) : null}
      {!user.atRisk && user.lockedUntil !== null && user.lockedUntil > props.now ? (
        <Notice kind="warn">
          <p>
            Push sign-in is locked after {user.failureCount} failures until {absoluteTime(user.lockedUntil)}.
          </p>
          <form method="post" action={`${base}/clear-risk`}>
            <CsrfField token={viewer.csrf} />
            <button type="submit" class="button small">
              Unlock
            </button>
          </form>
        </Notice>
      ) : null}
      {props.tap ? (
        <Notice kind="info">
          <p>
            Temporary Access Pass ({props.tap.oneTime ? 'one-time' : 'multi-use'}), valid until {absoluteTime(props.tap.expiresAt)}. It is shown
            only now:
          </p>
          <code class="secret" data-testid="tap-code">
            {props.tap.code}
          </code>
        </Notice>
      ) : null}

      <h2>Profile and groups</h2>
      <form method="post" action={base} novalidate>
        <CsrfField token={viewer.csrf} />
        <div class="grid-2">
          <div>
            <label for="displayName">Display name</label>
            <input id="displayName" name="displayName" type="text" value={user.displayName} aria-invalid={errors.displayName ? 'true' : undefined} />
            <FieldError errors={errors} field="displayName" />
          </div>
          <div>
            <label for="groups">Groups (comma-separated)</label>
            <input id="groups" name="groups" type="text" value={user.groups.join(', ')} aria-invalid={errors.groups ? 'true' : undefined} />
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

      <h2>Reset password</h2>
      <form method="post" action={`${base}/password`} novalidate>
        <CsrfField token={viewer.csrf} />
        <label for="password">New password (8 or more characters)</label>
        <input id="password" name="password" type="password" autocomplete="new-password" aria-invalid={errors.password ? 'true' : undefined} />
        <FieldError errors={errors} field="password" />
        <div class="actions start">
          <button type="submit" class="button secondary">
            Set password
          </button>
        </div>
      </form>

      <h2>Sessions</h2>
      <form method="post" action={`${base}/sessions/revoke`} data-testid="revoke-sessions-form" novalidate>
        <CsrfField token={viewer.csrf} />
        <p class="muted">Signs this user out of every browser. Their authenticators stay; they can sign in again.</p>
        <label class="check">
          <input type="checkbox" name="confirm" value="1" aria-invalid={errors.confirm ? 'true' : undefined} /> Yes, sign {user.upn} out everywhere
          {user.upn === viewer.upn ? ' (but not here)' : ''}
        </label>
        <FieldError errors={errors} field="confirm" />
        <div class="actions start">
          <button type="submit" class="button danger" data-testid="revoke-sessions">
            Sign out everywhere
          </button>
        </div>
      </form>

      <h2>Authenticators</h2>
      {user.devices.length === 0 ? <p class="muted">No authenticators.</p> : null}
      <ul class="device-list" data-testid="device-list">
        {user.devices.map((device) => (
          <li class="device" data-testid="device">
            <div>
              <div class="device-name">
                {device.name}
                {device.active ? null : (
                  <>
                    {' '}
                    <span class="pill warn" data-testid="device-needs-readding" title="Paired with an older version: it can no longer approve sign-ins">
                      Needs to be added again
                    </span>
                  </>
                )}
              </div>
              <div class="device-meta">
                Added {relativeTime(device.createdAt, props.now)} · Last used {device.lastUsedAt === null ? 'never' : relativeTime(device.lastUsedAt, props.now)}
              </div>
            </div>
            <form method="post" action={`/admin/devices/${encodeURIComponent(device.deviceId)}/revoke`}>
              <CsrfField token={viewer.csrf} />
              <input type="hidden" name="userId" value={user.userId} />
              <button type="submit" class="button danger small" aria-label={`Revoke ${device.name}`}>
                Revoke
              </button>
            </form>
          </li>
        ))}
      </ul>

      <h2>Temporary Access Pass</h2>
      <form method="post" action={`${base}/tap`} data-testid="tap-form" novalidate>
        <CsrfField token={viewer.csrf} />
        <div class="grid-2">
          <div>
            <label for="lifetimeMinutes">Valid for (minutes, 10 to 43200 = 30 days)</label>
            <input id="lifetimeMinutes" name="lifetimeMinutes" type="number" min={10} max={43200} value="60" aria-invalid={errors.lifetimeMinutes ? 'true' : undefined} />
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
    </AdminLayout>
  );
}

export interface LogFilter {
  upn: string;
  status: string;
  since: string;
  until: string;
}

const STATUSES = ['pending', 'approved', 'denied', 'reported', 'wrong_number', 'expired', 'cancelled'];
const METHOD_LABELS: Record<string, string> = {
  passwordless: 'Passwordless',
  push_after_password: 'Push after password',
  password: 'Password',
  tap: 'Temporary Access Pass',
};

export function SigninLogPage(props: { viewer: AdminViewer; rows: SigninRow[]; filter: LogFilter; errors: FieldErrors; csvHref: string }) {
  const { filter, errors } = props;
  return (
    <AdminLayout title="Sign-in log" viewer={props.viewer} current="/admin/signins">
      <h1>Sign-in log</h1>
      <form method="get" action="/admin/signins" class="filters" data-testid="log-filters">
        <div>
          <label for="f-upn">User</label>
          <input id="f-upn" name="upn" type="text" value={filter.upn} aria-invalid={errors.upn ? 'true' : undefined} />
          <FieldError errors={errors} field="upn" />
        </div>
        <div>
          <label for="f-status">Outcome</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            {STATUSES.map((status) => (
              <option value={status} selected={filter.status === status}>
                {status.replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-since">From (UTC)</label>
          <input id="f-since" name="since" type="datetime-local" value={filter.since} aria-invalid={errors.since ? 'true' : undefined} />
          <FieldError errors={errors} field="since" />
        </div>
        <div>
          <label for="f-until">To (UTC)</label>
          <input id="f-until" name="until" type="datetime-local" value={filter.until} aria-invalid={errors.until ? 'true' : undefined} />
          <FieldError errors={errors} field="until" />
        </div>
        <div class="actions start">
          <button type="submit" class="button">
            Filter
          </button>
          <a class="button secondary" href={props.csvHref} data-testid="csv-export">
            Export CSV
          </a>
        </div>
      </form>
      <div class="table-wrap">
        <table data-testid="signin-log">
          <thead>
            <tr>
              <th>Time</th>
              <th>User</th>
              <th>App</th>
              <th>IP / location</th>
              <th>Method</th>
              <th>Outcome</th>
              <th>Device</th>
              <th>Decided</th>
            </tr>
          </thead>
          <tbody>
            {props.rows.length === 0 ? (
              <tr>
                <td colspan={8} class="muted">
                  No sign-ins match.
                </td>
              </tr>
            ) : null}
            {props.rows.map((row) => (
              <tr data-testid="log-row">
                <td>{absoluteTime(row.created_at)}</td>
                <td class="mono">{row.upn}</td>
                <td>{row.app_name ?? '—'}</td>
                <td>
                  <span class="mono">{row.ip}</span>
                  {row.location ? ` · ${row.location}` : ''}
                </td>
                <td>{METHOD_LABELS[row.method] ?? row.method}</td>
                <td>
                  <span class={`pill ${row.status === 'approved' ? 'ok' : row.status === 'pending' ? '' : 'bad'}`}>{row.status.replace('_', ' ')}</span>
                  {row.reason && row.reason !== row.status ? <div class="small muted">{row.reason}</div> : null}
                </td>
                <td class="mono small">{row.device_id ?? '—'}</td>
                <td>{row.decided_at === null ? '—' : absoluteTime(row.decided_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </AdminLayout>
  );
}
