/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { renderPage } from '../../pages/render-page.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { ruleScope, saveRules } from '../../forward-auth/rules-api-routes.ts';
import { normalizeHostname } from '../../http/hostname.ts';
import { DEFAULT_APPROVAL_MAX_AGE_SECONDS } from '../../forward-auth/forward-auth-rules.ts';
import { adminGuard, type AdminSession } from './admin-guard.tsx';
import type { FieldErrors } from './admin-layout.tsx';
import { commaList, formInteger, hasErrors } from './form-fields.ts';
import { ProtectedSitesPage, type NewSiteValues } from './protected-sites-views.tsx';

const EMPTY: NewSiteValues = { host: '', groups: '', policy: 'session', maxAgeMinutes: String(DEFAULT_APPROVAL_MAX_AGE_SECONDS / 60) };
const DONE = new Set(['added', 'removed']);

/** A check's message as the form shows it: `must be …` → `Must be ….` */
function sentence(text: string): string {
  const trimmed = text.trim() || 'is missing';
  return `${trimmed.charAt(0).toUpperCase()}${trimmed.slice(1)}${trimmed.endsWith('.') ? '' : '.'}`;
}

/** The form's field for a rules field the check names (`rules.3.maxAgeSeconds` → `maxAgeMinutes`). */
function formField(field: string): string {
  if (field.endsWith('.maxAgeSeconds')) return 'maxAgeMinutes';
  if (/\.groups(\.\d+)?$/.test(field)) return 'groups';
  return 'host';
}

/** /admin/protected-sites: the sites forward auth protects (docs/protocol.md section 10). */
export function protectedSitesRoutes(deps: RelayDeps) {
  const { store } = deps;
  const { admin, adminForm } = adminGuard(deps);

  const show = async (c: Context, session: AdminSession, values: NewSiteValues, errors: FieldErrors) => {
    const done = c.req.query('done');
    const scope = ruleScope(deps);
    const page = (
      <ProtectedSitesPage
        viewer={session.viewer}
        rules={await store.forwardAuth.rules()}
        checkUrl={`${deps.relayOrigin()}/api/v1/forward-auth`}
        scope={scope.cookieDomain ? `under ${scope.cookieDomain}` : `${scope.relayHost}, the relay's own host, until COOKIE_DOMAIN is set`}
        values={values}
        errors={errors}
        done={done !== undefined && DONE.has(done) ? done : undefined}
      />
    );
    return renderPage(c, page, hasErrors(errors) ? 400 : 200);
  };

  return new Hono()
    .get(
      '/protected-sites',
      admin((c, session) => show(c, session, EMPTY, {})),
    )
    .post(
      '/protected-sites',
      adminForm(async (c, session, form) => {
        const values: NewSiteValues = {
          host: (form.value('host') ?? '').trim(),
          groups: form.value('groups') ?? '',
          policy: form.value('policy') === 'approval' ? 'approval' : 'session',
          maxAgeMinutes: (form.value('maxAgeMinutes') ?? '').trim(),
        };
        const existing = await store.forwardAuth.rules();
        const host = normalizeHostname(values.host);
        if (host && existing.some((rule) => rule.host === host)) {
          return show(c, session, values, { host: `${host} is already protected. Remove it first to change its rule.` });
        }
        const minutes = values.policy === 'approval' ? formInteger(values.maxAgeMinutes) : undefined;
        if (minutes !== undefined && Number.isNaN(minutes))
          return show(c, session, values, { maxAgeMinutes: 'Enter a whole number of minutes.' });
        const saved = await saveRules(deps, {
          rules: [
            ...existing,
            {
              host: values.host,
              groups: commaList(values.groups),
              policy: values.policy,
              ...(minutes !== undefined ? { maxAgeSeconds: minutes * 60 } : {}),
            },
          ],
        });
        if (!saved.ok) {
          const message = saved.field.endsWith('maxAgeSeconds')
            ? 'Enter from 1 minute to 43,200 minutes (30 days).'
            : sentence(saved.message.replace(/^[\w.]+ is (invalid|required): ?/, ''));
          return show(c, session, values, { [formField(saved.field)]: message });
        }
        deps.logger.info({ event: 'forward_auth.site_added', host, by: session.user.upn }, 'site protected from the admin pages');
        return c.redirect('/admin/protected-sites?done=added', 303);
      }),
    )
    .post(
      '/protected-sites/:host/delete',
      adminForm(async (c, session) => {
        const host = normalizeHostname(c.req.param('host'));
        const existing = await store.forwardAuth.rules();
        if (host && existing.some((rule) => rule.host === host)) {
          await saveRules(deps, { rules: existing.filter((rule) => rule.host !== host) });
          deps.logger.info({ event: 'forward_auth.site_removed', host, by: session.user.upn }, 'site removed from the admin pages');
        }
        return c.redirect('/admin/protected-sites?done=removed', 303);
      }),
    );
}
