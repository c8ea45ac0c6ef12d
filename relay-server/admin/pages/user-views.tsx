/** @jsxImportSource hono/jsx */
import { Notice } from '../../pages/layout.tsx';
import type { UserDetails } from '../user-accounts.ts';
import { AdminLayout, type AdminViewer, type FieldErrors } from './admin-layout.tsx';
import type { NewTap } from './new-tap-cookie.ts';
import { RiskBanner } from './risk-banner.tsx';
import { NewTapShown } from './new-tap-notice.tsx';
import { Authenticators, PasswordForm, ProfileForm, SessionsForm, TapForm } from './user-sections.tsx';

export interface UserPageProps {
  viewer: AdminViewer;
  user: UserDetails;
  now: number;
  errors: FieldErrors;
  notice?: string | undefined;
  tap?: NewTap | undefined;
  reported?: Parameters<typeof RiskBanner>[0]['reported'];
}

/** One user: notices, the risk banner, then one section per thing an admin can change. */
export function UserPage(props: UserPageProps) {
  const { user, errors, viewer } = props;
  const base = `/admin/users/${encodeURIComponent(user.userId)}`;
  const section = { user, errors, viewer, base };
  return (
    <AdminLayout title={user.upn} viewer={viewer} current="/admin/users">
      <p>
        <a href="/admin/users">← All users</a>
      </p>
      <h1>{user.displayName}</h1>
      <p class="mono">{user.upn}</p>
      {props.notice ? (
        <Notice kind="ok">
          <p data-testid="user-notice">{props.notice}</p>
        </Notice>
      ) : null}
      {props.tap ? <NewTapShown tap={props.tap} /> : null}
      <RiskBanner user={user} reported={props.reported} now={props.now} csrf={viewer.csrf} base={base} />
      <ProfileForm {...section} />
      <PasswordForm {...section} />
      <SessionsForm {...section} />
      <Authenticators {...section} now={props.now} />
      <TapForm {...section} />
    </AdminLayout>
  );
}
