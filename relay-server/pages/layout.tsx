/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { DATE_TIME_OPTIONS } from '../../protocol/display-time.ts';
import { ASSETS } from './asset-routes.ts';
import { CSRF_FIELD } from './csrf.ts';

/** Who is signed in, as the top bar shows it. */
export interface Viewer {
  upn: string;
  displayName: string;
  isAdmin: boolean;
  csrf: string;
}

export interface LayoutProps {
  title: string;
  children?: Child;
  /** `narrow` is the sign-in card; `wide` and `full` are for lists and admin tables. */
  width?: 'narrow' | 'wide' | 'full';
  viewer?: Viewer | undefined;
  scripts?: readonly string[];
}

/**
 * Every page: one stylesheet, external scripts only (the CSP allows no inline script or style).
 * The scripts are ES modules, which run after the document is parsed, in this order, like `defer`.
 */
export function Layout({ title, children, width = 'narrow', viewer, scripts = [] }: LayoutProps) {
  return (
    <html lang="en" data-time-format={JSON.stringify(DATE_TIME_OPTIONS)}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* Forms need an Origin header the relay can check; the default no-referrer policy would send "null". */}
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · Countersign`}</title>
        <link rel="icon" href={ASSETS.faviconIco.url} sizes="32x32" />
        <link rel="icon" href={ASSETS.faviconSvg.url} type="image/svg+xml" />
        <link rel="stylesheet" href={ASSETS.css.url} />
        <script type="module" src={ASSETS.confirm.url}></script>
        <script type="module" src={ASSETS.localTime.url}></script>
        {scripts.map((src) => (
          <script type="module" src={src}></script>
        ))}
      </head>
      <body>
        {viewer ? <TopBar viewer={viewer} /> : null}
        <main>
          <div class={width === 'narrow' ? 'card' : `card ${width}`}>
            {viewer ? null : <Brand />}
            {children}
          </div>
        </main>
        <footer>Countersign · passwordless sign-in with number matching</footer>
      </body>
    </html>
  );
}

export function Brand() {
  return (
    <a class="brand" href="/">
      <img class="brand-mark" src={ASSETS.faviconSvg.url} alt="" width={28} height={28} />
      Countersign
    </a>
  );
}

/**
 * The links once in a row (wide screens) and once in a "Menu" disclosure (narrow screens, where a
 * row would wrap); CSS shows one of them, so assistive technology meets only that one.
 */
function TopBar({ viewer }: { viewer: Viewer }) {
  return (
    <header class="topbar">
      <Brand />
      <nav aria-label="Account" class="topnav-row">
        <AccountLinks viewer={viewer} />
      </nav>
      <details class="topnav-menu">
        <summary>Menu</summary>
        <nav aria-label="Account">
          <AccountLinks viewer={viewer} />
        </nav>
      </details>
    </header>
  );
}

function AccountLinks({ viewer }: { viewer: Viewer }) {
  return (
    <>
      <a href="/me">My account</a>
      <a href="/security-info">Security info</a>
      {viewer.isAdmin ? <a href="/admin">Admin</a> : null}
      <form method="post" action="/signout">
        <CsrfField token={viewer.csrf} />
        <button type="submit" class="link-button">
          Sign out
        </button>
      </form>
    </>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}

export function Notice({
  kind,
  children,
  id,
  hidden,
}: {
  kind: 'error' | 'ok' | 'warn' | 'info';
  children?: Child;
  id?: string;
  hidden?: boolean;
}) {
  return (
    <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'} id={id} hidden={hidden}>
      {children}
    </div>
  );
}
