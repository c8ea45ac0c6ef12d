/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { ResetPasswordForm, UserProfileForm } from '../../protocol/admin-messages.ts';
import { CreateUserBody, IssueTapBody, PolicySchema, UpnSchema } from '../../protocol/messages.ts';
import { parse } from '../../protocol/parse.ts';
import { ApiError } from '../api-error.ts';
import { revokeDevice } from './revoke-device.ts';
import { createUserAccount, userDetails } from './user-accounts.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { hashPassword } from '../security/passwords.ts';
import type { SigninRow } from '../store/schema.ts';
import { CsrfError, readProtectedForm, type FormFields } from '../pages/csrf.ts';
import { csrfFailurePage } from '../pages/csrf-failure-page.tsx';
import { MessagePage } from '../pages/message-page.tsx';
import { pageSession, type PageSession } from '../pages/page-session.ts';
import { sessionCookieValue } from '../session/browser-session.ts';
import { rememberReturnTo } from '../session/return-to.ts';
import { renderPage } from '../pages/render-page.ts';
import { PolicyPage, SigninLogPage, UserPage, UsersPage, policyFormValues, type AdminViewer, type FieldErrors, type LogFilter, type PolicyFormValues } from './admin-views.tsx';

type AdminSession = PageSession & { viewer: AdminViewer };

const LOG_LIMIT = 500;
const CSV_LIMIT = 10_000;

const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** A whole number typed in a form, or NaN so the schema names the field. */
const formInteger = (value: string | undefined): number => (value !== undefined && /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : Number.NaN);

/** The first field a schema rejects, as the form shows it. */
function fieldErrors(result: { ok: false; field: string; message: string }, rename: Record<string, string> = {}): FieldErrors {
  const field = result.field.replace(/\.\d+$/, '');
  return { [rename[field] ?? field]: result.message.replace(/^[\w.]+ /, 'This field ') };
}

/** A datetime-local value read as UTC, or undefined when empty; NaN when unreadable. */
const utcTime = (value: string): number | undefined => (value === '' ? undefined : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value) ? Date.parse(`${value}Z`) : Number.NaN);

/** Spreadsheet-safe CSV cell: quoted, and a leading = + - @ neutralised so it can't run as a formula. */
function csvCell(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

/** The admin pages (issue 4): policy, users and groups, Temporary Access Passes, sign-in log. */
export function adminPageRoutes(deps: RelayDeps) {
  const { store, clock } = deps;

  const forbidden = (c: Context, session: PageSession) =>
    renderPage(
      c,
      <MessagePage title="You don't have access" viewer={session.viewer} links={[{ href: '/me', label: 'Back to your account' }]}>
        <p data-testid="forbidden">The admin pages are for administrators. Ask one if you need access.</p>
      </MessagePage>,
      403,
    );

  const csrfFailure = (c: Context, session: PageSession) => csrfFailurePage(c, { href: '/admin', label: 'Back to admin' }, session.viewer);

  const needsApproval = (c: Context, session: PageSession) => {
    rememberReturnTo(c, deps.relayOrigin(), clock.now());
    return renderPage(
      c,
      <MessagePage title="Sign in with your authenticator" viewer={session.viewer} links={[{ href: `/signin?upn=${encodeURIComponent(session.user.upn)}`, label: 'Sign in with your authenticator' }]}>
        <p data-testid="admin-needs-mfa">
          The admin pages need a sign-in approved on your authenticator; a password alone is not enough. Sign in again with phone sign-in
          (or your password and an approval), and you will come back here.
        </p>
      </MessagePage>,
      403,
    );
  };

  /**
   * Signed-in administrators only, with an authenticator approval (`mfa` in the session's amr):
   * anonymous visitors are sent to sign in (and brought back here afterwards), others get a 403
   * page. In demo mode a password-only admin session is let in, under a warning banner.
   */
  const admin = (handler: (c: Context, session: AdminSession) => Promise<Response>) => async (c: Context) => {
    const session = await pageSession(c, deps);
    if (!session) {
      rememberReturnTo(c, deps.relayOrigin(), clock.now());
      return c.redirect('/signin', c.req.method === 'GET' ? 302 : 303);
    }
    if (session.user.is_admin !== 1) return forbidden(c, session);
    if (!session.amr.includes('mfa')) {
      if (!deps.config.demo) return needsApproval(c, session);
      return handler(c, { ...session, viewer: { ...session.viewer, demoPasswordOnly: true } });
    }
    return handler(c, session);
  };

  const adminForm = (handler: (c: Context, session: AdminSession, form: FormFields) => Promise<Response>) =>
    admin(async (c, session) => {
      let form;
      try {
        form = await readProtectedForm(c, deps.relayOrigin(), session.session);
      } catch (error) {
        if (error instanceof CsrfError) return csrfFailure(c, session);
        throw error;
      }
      return handler(c, session, form);
    });

  const showPolicy = async (c: Context, session: PageSession, values: PolicyFormValues, errors: FieldErrors, saved = false) => {
    const groups = (await store.users.listGroups()).map((group) => group.name);
    return renderPage(c, <PolicyPage viewer={session.viewer} values={values} errors={errors} saved={saved} groups={groups} />, Object.keys(errors).length > 0 ? 400 : 200);
  };

  const userById = async (c: Context) => {
    const user = await store.users.byId(c.req.param('userId') ?? '');
    return user ? userDetails(store, user) : undefined;
  };

  const showUser = async (c: Context, session: PageSession, extra: { errors?: FieldErrors; notice?: string; tap?: { code: string; expiresAt: number; oneTime: boolean } } = {}) => {
    const user = await userById(c);
    if (!user) return notFoundUser(c, session);
    const errors = extra.errors ?? {};
    return renderPage(
      c,
      <UserPage viewer={session.viewer} user={user} now={clock.now()} errors={errors} notice={extra.notice} tap={extra.tap} />,
      Object.keys(errors).length > 0 ? 400 : extra.tap ? 201 : 200,
    );
  };

  const notFoundUser = (c: Context, session: PageSession) =>
    renderPage(
      c,
      <MessagePage title="No such user" viewer={session.viewer} links={[{ href: '/admin/users', label: 'All users' }]}>
        <p>There is no such user.</p>
      </MessagePage>,
      404,
    );

  const readLogFilter = (c: Context): { filter: LogFilter; errors: FieldErrors; query: { upn?: string; status?: string; since?: number; until?: number } } => {
    const filter: LogFilter = { upn: c.req.query('upn')?.trim() ?? '', status: c.req.query('status') ?? '', since: c.req.query('since') ?? '', until: c.req.query('until') ?? '' };
    const errors: FieldErrors = {};
    const query: { upn?: string; status?: string; since?: number; until?: number } = {};
    if (filter.upn) {
      if (parse(UpnSchema, filter.upn).ok) query.upn = filter.upn;
      else errors.upn = 'Not a valid user name.';
    }
    if (['pending', 'approved', 'denied', 'reported', 'wrong_number', 'expired', 'cancelled'].includes(filter.status)) query.status = filter.status;
    for (const key of ['since', 'until'] as const) {
      const at = utcTime(filter[key]);
      if (at === undefined) continue;
      if (Number.isNaN(at)) errors[key] = 'Not a valid date and time.';
      else query[key] = at;
    }
    return { filter, errors, query };
  };

  return new Hono()
    .get('/', (c) => c.redirect('/admin/policy', 302))
    .get('/policy', admin(async (c, session) => showPolicy(c, session, policyFormValues(await store.policy.get()), {}, c.req.query('saved') === '1')))
    .post(
      '/policy',
      adminForm(async (c, session, form) => {
        const values: PolicyFormValues = {
          enabled: form.value('enabled') === '1',
          targetsAll: form.value('targets') !== 'groups',
          targetGroups: form.value('targetGroups') ?? '',
          excludeGroups: form.value('excludeGroups') ?? '',
          mode: form.value('mode') ?? '',
          matchMode: form.value('matchMode') ?? '',
          digits: form.value('digits') ?? '',
          showAppName: form.value('showAppName') === '1',
          showLocation: form.value('showLocation') === '1',
          requestTtlSeconds: form.value('requestTtlSeconds') ?? '',
          maxPushesPer10Min: form.value('maxPushesPer10Min') ?? '',
          lockoutAfterFailures: form.value('lockoutAfterFailures') ?? '',
        };
        const targetGroups = commaList(values.targetGroups);
        if (!values.targetsAll && targetGroups.length === 0) return showPolicy(c, session, values, { targets: 'Name at least one group, or choose All users.' });
        const candidate = {
          enabled: values.enabled,
          targets: values.targetsAll ? 'all' : targetGroups,
          excludeGroups: commaList(values.excludeGroups),
          mode: values.mode,
          match: { mode: values.matchMode, digits: formInteger(values.digits) },
          showAppName: values.showAppName,
          showLocation: values.showLocation,
          requestTtlSeconds: formInteger(values.requestTtlSeconds),
          maxPushesPer10Min: formInteger(values.maxPushesPer10Min),
          lockoutAfterFailures: formInteger(values.lockoutAfterFailures),
        };
        const parsed = parse(PolicySchema, candidate);
        if (!parsed.ok) return showPolicy(c, session, values, fieldErrors(parsed));
        await store.policy.put(parsed.value, clock.now());
        deps.logger.info({ event: 'policy.updated', by: session.user.upn }, 'policy updated from the admin pages');
        return c.redirect('/admin/policy?saved=1', 303);
      }),
    )
    .get(
      '/users',
      admin(async (c, session) => {
        const users = await Promise.all((await store.users.list()).map((user) => userDetails(store, user)));
        return renderPage(c, <UsersPage viewer={session.viewer} users={users} values={{ upn: '', displayName: '', groups: '' }} errors={{}} now={clock.now()} />);
      }),
    )
    .post(
      '/users',
      adminForm(async (c, session, form) => {
        const values = { upn: (form.value('upn') ?? '').trim(), displayName: (form.value('displayName') ?? '').trim(), groups: form.value('groups') ?? '' };
        const password = form.value('password') ?? '';
        const body = { upn: values.upn, displayName: values.displayName, groups: commaList(values.groups), ...(password ? { password } : {}) };
        const parsed = parse(CreateUserBody, body);
        let errors: FieldErrors = parsed.ok ? {} : fieldErrors(parsed);
        if (parsed.ok) {
          try {
            const user = await createUserAccount(store, clock, parsed.value);
            deps.logger.info({ event: 'user.created', upn: user.upn, by: session.user.upn }, 'user created from the admin pages');
            return c.redirect(`/admin/users/${encodeURIComponent(user.id)}?created=1`, 303);
          } catch (error) {
            if (!(error instanceof ApiError) || error.code !== 'user_exists') throw error;
            errors = { upn: 'A user with this name already exists.' };
          }
        }
        const users = await Promise.all((await store.users.list()).map((user) => userDetails(store, user)));
        return renderPage(c, <UsersPage viewer={session.viewer} users={users} values={values} errors={errors} now={clock.now()} />, 400);
      }),
    )
    .get(
      '/users/:userId',
      admin(async (c, session) => {
        const notice = c.req.query('created') === '1' ? 'User created.' : c.req.query('saved') === '1' ? 'Saved.' : c.req.query('revoked') === '1' ? 'Authenticator revoked; it has been told to forget the account.' : undefined;
        return showUser(c, session, notice ? { notice } : {});
      }),
    )
    .post(
      '/users/:userId',
      adminForm(async (c, session, form) => {
        const user = await userById(c);
        if (!user) return notFoundUser(c, session);
        const displayName = (form.value('displayName') ?? '').trim();
        const groups = commaList(form.value('groups'));
        const parsed = parse(UserProfileForm, { displayName, groups });
        if (!parsed.ok) return showUser(c, session, { errors: fieldErrors(parsed) });
        // An admin can't take their own admin rights away here (the box is disabled, so it isn't posted).
        const isAdmin = user.upn === session.user.upn ? user.isAdmin : form.value('isAdmin') === '1';
        await store.users.update(user.userId, { displayName: parsed.value.displayName, groups: parsed.value.groups, isAdmin }, clock.now());
        return c.redirect(`/admin/users/${encodeURIComponent(user.userId)}?saved=1`, 303);
      }),
    )
    .post(
      '/users/:userId/password',
      adminForm(async (c, session, form) => {
        const user = await userById(c);
        if (!user) return notFoundUser(c, session);
        const password = form.value('password') ?? '';
        const parsed = parse(ResetPasswordForm, { password });
        if (!parsed.ok) return showUser(c, session, { errors: { password: 'Use 8 to 256 characters.' } });
        await store.users.update(user.userId, { passwordHash: await hashPassword(parsed.value.password) }, clock.now());
        // Whoever knew the old password is signed out; an admin resetting their own keeps this session.
        const ended = await store.sessions.removeAllOfUser(user.userId, user.userId === session.user.id ? sessionCookieValue(c) : undefined);
        deps.logger.info({ event: 'user.password_reset', upn: user.upn, by: session.user.upn, sessionsEnded: ended }, 'password reset');
        return showUser(c, session, { notice: 'Password changed. The user was signed out everywhere.' });
      }),
    )
    .post(
      '/users/:userId/sessions/revoke',
      adminForm(async (c, session, form) => {
        const user = await userById(c);
        if (!user) return notFoundUser(c, session);
        if (form.value('confirm') !== '1') return showUser(c, session, { errors: { confirm: 'Tick the box to confirm, then press Sign out everywhere again.' } });
        const ended = await store.sessions.removeAllOfUser(user.userId, user.userId === session.user.id ? sessionCookieValue(c) : undefined);
        deps.logger.info({ event: 'user.sessions_revoked', upn: user.upn, by: session.user.upn, sessionsEnded: ended }, 'signed out everywhere');
        return showUser(c, session, { notice: `Signed out everywhere (${ended} ${ended === 1 ? 'session' : 'sessions'} ended).` });
      }),
    )
    .post(
      '/users/:userId/clear-risk',
      adminForm(async (c, session) => {
        const user = await userById(c);
        if (!user) return notFoundUser(c, session);
        await store.users.setPushBlocked(user.userId, false);
        deps.logger.info({ event: 'user.risk_cleared', upn: user.upn, by: session.user.upn }, 'at-risk flag cleared');
        return showUser(c, session, { notice: 'Cleared. Push sign-in works again for this user.' });
      }),
    )
    .post(
      '/users/:userId/tap',
      adminForm(async (c, session, form) => {
        const user = await userById(c);
        if (!user) return notFoundUser(c, session);
        const oneTime = form.value('oneTime') === '1';
        const parsed = parse(IssueTapBody, { lifetimeMinutes: formInteger(form.value('lifetimeMinutes')), oneTime });
        if (!parsed.ok) return showUser(c, session, { errors: { lifetimeMinutes: 'Choose from 10 minutes to 43200 minutes (30 days).' } });
        const tap = await store.taps.issue(user.userId, parsed.value.lifetimeMinutes * 60_000, parsed.value.oneTime, clock.now());
        deps.logger.info({ event: 'tap.issued', upn: user.upn, oneTime, by: session.user.upn }, 'temporary access pass issued');
        return showUser(c, session, { tap: { ...tap, oneTime } });
      }),
    )
    .post(
      '/devices/:deviceId/revoke',
      adminForm(async (c, _session, form) => {
        const device = await store.devices.byId(c.req.param('deviceId') ?? '');
        const back = device ? device.user_id : (form.value('userId') ?? '');
        if (device) await revokeDevice(deps, device.id);
        return c.redirect(`/admin/users/${encodeURIComponent(back)}${device ? '?revoked=1' : ''}`, 303);
      }),
    )
    .get(
      '/signins',
      admin(async (c, session) => {
        const { filter, errors, query } = readLogFilter(c);
        const rows: SigninRow[] = await store.signins.list({ ...query, limit: LOG_LIMIT });
        const csvQuery = new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== '')).toString();
        return renderPage(
          c,
          <SigninLogPage viewer={session.viewer} rows={rows} filter={filter} errors={errors} csvHref={`/admin/signins.csv${csvQuery ? `?${csvQuery}` : ''}`} />,
          Object.keys(errors).length > 0 ? 400 : 200,
        );
      }),
    )
    .get(
      '/signins.csv',
      admin(async (c) => {
        const { errors, query } = readLogFilter(c);
        if (Object.keys(errors).length > 0) return c.text(`Invalid filter: ${Object.keys(errors).join(', ')}`, 400);
        const rows = await store.signins.list({ ...query, limit: CSV_LIMIT });
        const header = ['requestId', 'createdAt', 'upn', 'app', 'ip', 'location', 'browser', 'os', 'method', 'status', 'reason', 'deviceId', 'decidedAt'];
        const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
        const lines = rows.map((row) =>
          [row.id, iso(row.created_at), row.upn, row.app_name, row.ip, row.location, row.browser, row.os, row.method, row.status, row.reason, row.device_id, iso(row.decided_at)].map(csvCell).join(','),
        );
        c.header('Content-Type', 'text/csv; charset=utf-8');
        c.header('Content-Disposition', 'attachment; filename="countersign-signins.csv"');
        c.header('Cache-Control', 'no-store');
        return c.body([header.join(','), ...lines].join('\r\n') + '\r\n');
      }),
    );
}
