/** @jsxImportSource hono/jsx */
import { absoluteTime } from './human-time.ts';

/**
 * A moment on a page, in the one format of protocol/display-time.ts: written in British English
 * and UTC, then shown in the reader's locale and time zone by assets/local-time.js. Given a text
 * (e.g. "3 minutes ago"), that text stays and the exact moment is its tooltip.
 */
export function LocalTime({ at, children }: { at: number; children?: string }) {
  const datetime = new Date(at).toISOString();
  if (children !== undefined) {
    return (
      <time datetime={datetime} title={absoluteTime(at)} data-local-time="" data-local-title="">
        {children}
      </time>
    );
  }
  return (
    <time datetime={datetime} data-local-time="">
      {absoluteTime(at)}
    </time>
  );
}
