/** @jsxImportSource hono/jsx */
import { Hono, type Context } from 'hono';
import { PolicySchema } from '../../../protocol/messages.ts';
import { parse } from '../../../protocol/parse.ts';
import type { RelayDeps } from '../../relay-deps.ts';
import { renderPage } from '../../pages/render-page.ts';
import { adminGuard, type AdminSession } from './admin-guard.tsx';
import type { FieldErrors } from './admin-layout.tsx';
import { commaList, fieldErrors, hasErrors } from './form-fields.ts';
import { policyCandidate, policyFormValues, postedPolicyValues, type PolicyFormValues } from './policy-form.ts';
import { PolicyPage } from './policy-views.tsx';

/** /admin/policy: the authentication methods policy, saved with post/redirect/get. */
export function policyRoutes(deps: RelayDeps) {
  const { store, clock } = deps;
  const { admin, adminForm } = adminGuard(deps);

  const show = async (c: Context, session: AdminSession, values: PolicyFormValues, errors: FieldErrors, saved = false) => {
    const groups = (await store.users.listGroups()).map((group) => group.name);
    const page = <PolicyPage viewer={session.viewer} values={values} errors={errors} saved={saved} groups={groups} />;
    return renderPage(c, page, hasErrors(errors) ? 400 : 200);
  };

  return new Hono()
    .get(
      '/',
      admin(async (c, session) => show(c, session, policyFormValues(await store.policy.get()), {}, c.req.query('saved') === '1')),
    )
    .post(
      '/',
      adminForm(async (c, session, form) => {
        const values = postedPolicyValues(form);
        if (!values.targetsAll && commaList(values.targetGroups).length === 0) {
          return show(c, session, values, { targets: 'Name at least one group, or choose All users.' });
        }
        const parsed = parse(PolicySchema, policyCandidate(values));
        if (!parsed.ok) return show(c, session, values, fieldErrors(parsed));
        await store.policy.put(parsed.value, clock.now());
        deps.logger.info({ event: 'policy.updated', by: session.user.upn }, 'policy updated from the admin pages');
        return c.redirect('/admin/policy?saved=1', 303);
      }),
    );
}
