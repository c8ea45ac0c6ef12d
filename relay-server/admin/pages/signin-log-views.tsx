/** @jsxImportSource hono/jsx */
import { SIGNIN_STATUSES } from '../../../protocol/messages.ts';
import { LocalTime } from '../../pages/local-time.tsx';
import type { SigninRow } from '../../store/schema.ts';
import { AdminLayout, FieldError, Upn, type AdminViewer, type FieldErrors } from './admin-layout.tsx';
import type { LogFilter } from './log-filter.ts';
import { methodWords, reasonWords, statusWords, STATUS_WORDS } from './log-words.ts';

const COLUMNS = ['Time', 'User', 'App', 'IP / location', 'Method', 'Outcome', 'Device', 'Decided'] as const;

export function SigninLogPage(props: {
  viewer: AdminViewer;
  rows: SigninRow[];
  deviceNames: Map<string, string>;
  filter: LogFilter;
  errors: FieldErrors;
  csvHref: string;
}) {
  return (
    <AdminLayout title="Sign-in log" viewer={props.viewer} current="/admin/signins">
      <h1>Sign-in log</h1>
      <LogFilters filter={props.filter} errors={props.errors} csvHref={props.csvHref} />
      {/* Rows stack as cards on small screens (app.css), each cell labelled by data-label. */}
      <div class="table-wrap">
        <table data-testid="signin-log" class="log-table stack-table">
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <th scope="col">{column}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.length === 0 ? (
              <tr>
                <td colspan={COLUMNS.length} class="muted">
                  No sign-ins match.
                </td>
              </tr>
            ) : null}
            {props.rows.map((row) => (
              <LogRow row={row} deviceNames={props.deviceNames} />
            ))}
          </tbody>
        </table>
      </div>
    </AdminLayout>
  );
}

function LogRow({ row, deviceNames }: { row: SigninRow; deviceNames: Map<string, string> }) {
  const reason = reasonWords(row.status, row.reason);
  const outcome = row.status === 'approved' ? 'ok' : row.status === 'pending' ? '' : 'bad';
  const device = row.device_id === null ? '—' : (deviceNames.get(row.device_id) ?? 'A removed authenticator');
  return (
    <tr data-testid="log-row">
      <td data-label="Time">
        <LocalTime at={row.created_at} />
      </td>
      <td data-label="User" class="upn">
        <Upn upn={row.upn} />
      </td>
      <td data-label="App">{row.app_name ?? '—'}</td>
      <td data-label="IP / location">
        <span class="mono">{row.ip}</span>
        {row.location ? ` · ${row.location}` : ''}
      </td>
      <td data-label="Method">{methodWords(row.method)}</td>
      <td data-label="Outcome" data-testid="log-outcome">
        <span class={`pill ${outcome}`}>{statusWords(row.status)}</span>
        {reason ? (
          <div class="small muted" data-testid="log-reason">
            {reason}
          </div>
        ) : null}
      </td>
      <td data-label="Device" data-testid="log-device">
        {device}
      </td>
      <td data-label="Decided">{row.decided_at === null ? '—' : <LocalTime at={row.decided_at} />}</td>
    </tr>
  );
}

function LogFilters({ filter, errors, csvHref }: { filter: LogFilter; errors: FieldErrors; csvHref: string }) {
  return (
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
          {SIGNIN_STATUSES.map((status) => (
            <option value={status} selected={filter.status === status}>
              {STATUS_WORDS[status]}
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
        <a class="button secondary" href={csvHref} data-testid="csv-export">
          Export CSV
        </a>
      </div>
    </form>
  );
}
