/** @jsxImportSource hono/jsx */
import { LocalTime } from '../../pages/local-time.tsx';
import { DAY_MS, type AuthMethodsActivity } from '../../store/activity-queries.ts';
import type { RegisteredApp } from '../../store/apps-store.ts';
import { AdminLayout, Upn, type AdminViewer } from './admin-layout.tsx';
import { METHOD_WORDS, methodWords } from './log-words.ts';
import { StackedBarChart, type ChartColumn, type ChartSeries } from './stacked-bar-chart.tsx';

/** How many days the overview looks back (Entra's authentication-methods activity shows 30). */
export const OVERVIEW_DAYS = 30;

// Colours told apart also by people who see red and green alike (Okabe–Ito).
const METHOD_SERIES: ChartSeries[] = [
  { key: 'passwordless', label: METHOD_WORDS.passwordless, colour: '#0072b2' },
  { key: 'push_after_password', label: METHOD_WORDS.push_after_password, colour: '#56b4e9' },
  { key: 'password', label: METHOD_WORDS.password, colour: '#e69f00' },
  { key: 'tap', label: METHOD_WORDS.tap, colour: '#009e73' },
  { key: 'pin_unlock', label: METHOD_WORDS.pin_unlock, colour: '#cc79a7' },
];

/** The sign-in log's statuses, in the four outcomes an administrator reads at a glance. */
const OUTCOME_SERIES: ChartSeries[] = [
  { key: 'approved', label: 'Approved', colour: '#009e73' },
  { key: 'denied', label: 'Denied or refused', colour: '#d55e00' },
  { key: 'reported', label: 'Reported ("It wasn\'t me")', colour: '#cc79a7' },
  { key: 'unfinished', label: 'Unanswered, wrong number or cancelled', colour: '#999999' },
];

const outcomeOf = (status: string): string =>
  status === 'approved' || status === 'denied' || status === 'reported' ? status : 'unfinished';

const dayLabel = (day: number) => new Date(day * DAY_MS).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** The last OVERVIEW_DAYS UTC days up to `today`, each with its counts per series key. */
function columnsBy(
  activity: AuthMethodsActivity,
  today: number,
  keyOf: (row: { method: string; status: string }) => string,
): ChartColumn[] {
  const columns = new Map<number, ChartColumn>();
  for (let day = today - OVERVIEW_DAYS + 1; day <= today; day++) columns.set(day, { label: dayLabel(day), values: {} });
  for (const row of activity.daily) {
    const column = columns.get(row.day);
    if (!column) continue;
    const key = keyOf(row);
    column.values[key] = (column.values[key] ?? 0) + row.count;
  }
  return [...columns.values()];
}

const percent = (part: number, whole: number) => (whole === 0 ? '—' : `${Math.round((part / whole) * 100)} %`);

export function OverviewPage(props: { viewer: AdminViewer; activity: AuthMethodsActivity; apps: RegisteredApp[]; now: number }) {
  const { activity, now } = props;
  const today = Math.floor(now / DAY_MS);
  const byMethod = columnsBy(activity, today, (row) => row.method);
  const byOutcome = columnsBy(activity, today, (row) => outcomeOf(row.status));
  const total = activity.daily.reduce((sum, row) => sum + row.count, 0);
  const approved = activity.daily.filter((row) => row.status === 'approved').reduce((sum, row) => sum + row.count, 0);
  const { users } = activity;
  const appSignins = new Map(activity.apps.map((app) => [app.appId, app]));
  const methods = [...new Set([...METHOD_SERIES.map((item) => item.key), ...activity.daily.map((row) => row.method)])];
  const cell = (method: string, outcome: string) =>
    activity.daily.filter((row) => row.method === method && outcomeOf(row.status) === outcome).reduce((sum, row) => sum + row.count, 0);

  return (
    <AdminLayout title="Overview" viewer={props.viewer} current="/admin/overview">
      <h1>Overview</h1>
      <p class="muted">Authentication methods activity of the last {OVERVIEW_DAYS} days (days in UTC).</p>

      <div class="overview-stats">
        <section class="stat" data-testid="overview-users" aria-labelledby="users-heading">
          <h2 id="users-heading">Users</h2>
          <p>
            <strong data-testid="users-registered">{users.registered}</strong> of {users.total} registered with an authenticator (
            {percent(users.registered, users.total)}); <strong data-testid="users-not-registered">{users.notRegistered}</strong> not
            registered.
          </p>
          <meter min={0} max={Math.max(1, users.total)} value={users.registered} aria-label="Users registered with an authenticator">
            {users.registered} of {users.total}
          </meter>
          <p class="small">
            <a href="/admin/users">Users: add an authenticator for those without one</a>
          </p>
        </section>
        <section class="stat" data-testid="overview-signins" aria-labelledby="signins-heading">
          <h2 id="signins-heading">Sign-ins</h2>
          <p>
            <strong data-testid="signins-total">{total}</strong> in {OVERVIEW_DAYS} days,{' '}
            <strong data-testid="signins-approved">{approved}</strong> approved ({percent(approved, total)}).
          </p>
          <p class="small">
            <a href="/admin/signins">Sign-in log: every attempt and its reason</a>
          </p>
        </section>
      </div>

      <section aria-labelledby="by-method-heading">
        <h2 id="by-method-heading">Sign-ins per day by method</h2>
        <StackedBarChart
          id="chart-by-method"
          title={`Sign-ins per day by method, last ${OVERVIEW_DAYS} days`}
          summary={`${total} sign-ins: ${METHOD_SERIES.map((item) => `${item.label} ${byMethod.reduce((sum, column) => sum + (column.values[item.key] ?? 0), 0)}`).join(', ')}.`}
          series={METHOD_SERIES}
          columns={byMethod}
        />
      </section>

      <section aria-labelledby="by-outcome-heading">
        <h2 id="by-outcome-heading">Sign-ins per day by outcome</h2>
        <StackedBarChart
          id="chart-by-outcome"
          title={`Sign-ins per day by outcome, last ${OVERVIEW_DAYS} days`}
          summary={`${total} sign-ins: ${OUTCOME_SERIES.map((item) => `${item.label} ${byOutcome.reduce((sum, column) => sum + (column.values[item.key] ?? 0), 0)}`).join(', ')}.`}
          series={OUTCOME_SERIES}
          columns={byOutcome}
        />
        <div class="table-wrap">
          <table data-testid="method-outcome-table">
            <caption class="visually-hidden">Sign-ins by method and outcome, last {OVERVIEW_DAYS} days</caption>
            <thead>
              <tr>
                <th scope="col">Method</th>
                {OUTCOME_SERIES.map((item) => (
                  <th scope="col">{item.label}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {methods.map((method) => (
                <tr>
                  <th scope="row">{methodWords(method)}</th>
                  {OUTCOME_SERIES.map((item) => (
                    <td>{cell(method, item.key)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="attention-heading">
        <h2 id="attention-heading">Reported and locked users</h2>
        {activity.flagged.length === 0 ? (
          <p class="muted" data-testid="no-flagged-users">
            Nobody has reported a sign-in, and nobody is locked out.
          </p>
        ) : (
          <table data-testid="flagged-users" class="stack-table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Name</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {activity.flagged.map((user) => (
                <tr data-testid="flagged-user">
                  <td data-label="User" class="upn">
                    <a href={`/admin/users/${encodeURIComponent(user.userId)}`}>
                      <Upn upn={user.upn} />
                    </a>
                  </td>
                  <td data-label="Name">{user.displayName}</td>
                  <td data-label="Why">
                    {user.reported ? (
                      <>
                        <span class="pill bad">Reported</span> requests from unknown places paused until you clear it
                      </>
                    ) : null}
                    {user.reported && user.lockedUntil !== null ? ' ' : null}
                    {user.lockedUntil !== null ? (
                      <span class="pill bad">
                        Locked on {user.lockedClients} {user.lockedClients === 1 ? 'network' : 'networks'} until{' '}
                        <LocalTime at={user.lockedUntil} />
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="apps-heading">
        <h2 id="apps-heading">Apps and their sign-ins</h2>
        {props.apps.length === 0 ? (
          <p class="muted">No apps are registered.</p>
        ) : (
          <table data-testid="app-signins" class="stack-table">
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Sign-ins ({OVERVIEW_DAYS} days)</th>
                <th scope="col">Approved</th>
              </tr>
            </thead>
            <tbody>
              {props.apps.map((app) => {
                const counts = appSignins.get(app.clientId);
                return (
                  <tr data-testid="app-row" data-client-id={app.clientId}>
                    <td data-label="App">{app.name}</td>
                    <td data-label="Sign-ins" data-testid="app-total">
                      {counts?.total ?? 0}
                    </td>
                    <td data-label="Approved" data-testid="app-approved">
                      {counts?.approved ?? 0}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <p class="small">
          <a href="/admin/apps">Apps: register one, rotate the signing keys</a>
        </p>
      </section>
    </AdminLayout>
  );
}
