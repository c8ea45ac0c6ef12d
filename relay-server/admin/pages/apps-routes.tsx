/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { ClientIdSchema, CreateAppBody } from '../../../protocol/admin-messages.ts';
import { parse } from '../../../protocol/parse.ts';
import { registerApp } from '../../apps/register-app.ts';
import { renderPage } from '../../pages/render-page.ts';
import type { WithOpenId } from '../../oidc/openid-deps.ts';
import { adminGuard, type AdminSession } from './admin-guard.tsx';
import type { FieldErrors } from './admin-layout.tsx';
import { fieldErrors, hasErrors } from './form-fields.ts';
import { AppsPage, type NewAppValues } from './apps-views.tsx';
import { keepNewAppSecret, takeNewAppSecret } from './new-app-secret-cookie.ts';

const EMPTY: NewAppValues = {
  name: '',
  redirectUris: '',
  postLogoutRedirectUris: '',
  backchannelLogoutUri: '',
  idTokenAlg: 'RS256',
  public: false,
  needsConsent: false,
};

/** A textarea's URIs, one per line; blank lines are nothing. */
const lines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
const DONE = new Set(['created', 'deleted', 'rotated']);

/** /admin/apps: the apps that sign people in through the relay (docs/protocol.md sections 7 and 9). */
export function appsRoutes(deps: WithOpenId) {
  const { store, clock } = deps;
  const { admin, adminForm } = adminGuard(deps);

  const show = async (c: Context, session: AdminSession, values: NewAppValues, errors: FieldErrors) => {
    const done = c.req.query('done');
    const page = (
      <AppsPage
        viewer={session.viewer}
        apps={await store.apps.list()}
        issuer={deps.relayOrigin()}
        values={values}
        errors={errors}
        done={done !== undefined && DONE.has(done) ? done : undefined}
        newSecret={takeNewAppSecret(c, deps.relayOrigin(), session.viewer.csrf)}
      />
    );
    return renderPage(c, page, hasErrors(errors) ? 400 : 200);
  };

  return new Hono()
    .get(
      '/apps',
      admin((c, session) => show(c, session, EMPTY, {})),
    )
    .post(
      '/apps',
      adminForm(async (c, session, form) => {
        const values: NewAppValues = {
          name: (form.value('name') ?? '').trim(),
          redirectUris: form.value('redirectUris') ?? '',
          postLogoutRedirectUris: form.value('postLogoutRedirectUris') ?? '',
          backchannelLogoutUri: (form.value('backchannelLogoutUri') ?? '').trim(),
          idTokenAlg: form.value('idTokenAlg') ?? 'RS256',
          public: form.value('public') === 'on',
          needsConsent: form.value('needsConsent') === 'on',
        };
        const parsed = parse(CreateAppBody, {
          name: values.name,
          redirectUris: lines(values.redirectUris),
          postLogoutRedirectUris: lines(values.postLogoutRedirectUris),
          backchannelLogoutUri: values.backchannelLogoutUri || null,
          idTokenAlg: values.idTokenAlg,
          public: values.public,
          needsConsent: values.needsConsent,
        });
        if (!parsed.ok) return show(c, session, values, fieldErrors(parsed));
        const { app, clientSecret } = await registerApp(store, parsed.value, clock.now());
        deps.logger.info({ event: 'app.registered', clientId: app.clientId, by: session.user.upn }, 'app registered from the admin pages');
        if (clientSecret) keepNewAppSecret(c, deps.relayOrigin(), session.viewer.csrf, { clientId: app.clientId, clientSecret });
        return c.redirect('/admin/apps?done=created', 303);
      }),
    )
    .post(
      '/apps/signing-keys/rotate',
      adminForm(async (c, session) => {
        await deps.openid?.rotateKeys();
        deps.logger.info({ event: 'oidc.keys_rotated', by: session.user.upn }, 'signing keys rotated from the admin pages');
        return c.redirect('/admin/apps?done=rotated', 303);
      }),
    )
    .post(
      '/apps/:clientId/delete',
      adminForm(async (c, session) => {
        const clientId = c.req.param('clientId') ?? '';
        if (parse(ClientIdSchema, clientId).ok && (await store.apps.remove(clientId))) {
          deps.logger.info({ event: 'app.deleted', clientId, by: session.user.upn }, 'app deleted from the admin pages');
        }
        return c.redirect('/admin/apps?done=deleted', 303);
      }),
    );
}
