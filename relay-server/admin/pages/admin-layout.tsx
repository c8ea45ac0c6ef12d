/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { ASSETS } from '../../pages/asset-routes.ts';
import { Layout, type Viewer } from '../../pages/layout.tsx';

/** A form's problems by field name, as the fields show them. */
export type FieldErrors = Record<string, string>;

/** The viewer of an admin page; `demoPasswordOnly` when demo mode let a password-only session in. */
export interface AdminViewer extends Viewer {
  demoPasswordOnly?: boolean;
}

const TABS = [
  { href: '/admin/overview', label: 'Overview', short: 'Overview' },
  { href: '/admin/policy', label: 'Authentication methods policy', short: 'Policy' },
  { href: '/admin/users', label: 'Users', short: 'Users' },
  { href: '/admin/signins', label: 'Sign-in log', short: 'Sign-in log' },
  { href: '/admin/apps', label: 'Apps', short: 'Apps' },
  { href: '/admin/protected-sites', label: 'Protected sites', short: 'Sites' },
] as const;

/** Every admin page: the admin script, the demo warning when it applies, and the tabs (short labels on small screens, by CSS). */
export function AdminLayout({
  title,
  viewer,
  current,
  children,
}: {
  title: string;
  viewer: AdminViewer;
  current: string;
  children?: Child;
}) {
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
            <span class="tab-long">{tab.label}</span>
            <span class="tab-short">{tab.short}</span>
          </a>
        ))}
      </nav>
      {children}
    </Layout>
  );
}

export function FieldError({ errors, field }: { errors: FieldErrors; field: string }) {
  const message = errors[field];
  return message ? (
    <p class="field-error" id={`${field}-error`} data-testid={`error-${field}`}>
      {message}
    </p>
  ) : null;
}

/**
 * A user name that wraps only before its "@": each half is an inline block (app.css), moved to the
 * next line whole, and broken inside only when it is wider than the whole column.
 */
export function Upn({ upn }: { upn: string }) {
  const at = upn.lastIndexOf('@');
  if (at <= 0) return <span class="upn-part">{upn}</span>;
  return (
    <>
      <span class="upn-part">{upn.slice(0, at)}</span>
      <wbr />
      <span class="upn-part">{upn.slice(at)}</span>
    </>
  );
}
