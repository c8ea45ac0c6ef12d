/** @jsxImportSource hono/jsx */
import { Hono } from 'hono';
import type { RelayDeps } from '../../relay-deps.ts';
import { renderPage } from '../../pages/render-page.ts';
import { adminGuard } from './admin-guard.tsx';
import { hasErrors } from './form-fields.ts';
import { filterQuery, readLogFilter } from './log-filter.ts';
import { SigninLogPage } from './signin-log-views.tsx';
import { signinsCsv } from './signins-csv.ts';

const LOG_LIMIT = 500;
const CSV_LIMIT = 10_000;

/** /admin/signins: the sign-in log, filtered by user, outcome and time, and its CSV export. */
export function signinLogRoutes(deps: RelayDeps) {
  const { store } = deps;
  const { admin } = adminGuard(deps);

  return new Hono()
    .get(
      '/signins',
      admin(async (c, session) => {
        const { filter, errors, query } = readLogFilter(c);
        const rows = await store.signins.list({ ...query, limit: LOG_LIMIT });
        // The Device column names devices; a revoked one is gone from the store.
        const deviceIds = [...new Set(rows.flatMap((row) => (row.device_id === null ? [] : [row.device_id])))];
        const deviceNames = new Map((await store.devices.byIds(deviceIds)).map((device) => [device.id, device.name]));
        const csv = filterQuery(filter);
        const page = (
          <SigninLogPage
            viewer={session.viewer}
            rows={rows}
            deviceNames={deviceNames}
            filter={filter}
            errors={errors}
            csvHref={`/admin/signins.csv${csv ? `?${csv}` : ''}`}
          />
        );
        return renderPage(c, page, hasErrors(errors) ? 400 : 200);
      }),
    )
    .get(
      '/signins.csv',
      admin(async (c) => {
        const { errors, query } = readLogFilter(c);
        if (hasErrors(errors))
          return c.text(`The filter could not be read (${Object.keys(errors).join(', ')}); fix it on the sign-in log page.`, 400);
        const rows = await store.signins.list({ ...query, limit: CSV_LIMIT });
        c.header('Content-Type', 'text/csv; charset=utf-8');
        c.header('Content-Disposition', 'attachment; filename="countersign-signins.csv"');
        c.header('Cache-Control', 'no-store');
        return c.body(signinsCsv(rows));
      }),
    );
}
