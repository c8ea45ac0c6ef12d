/** @jsxImportSource hono/jsx */
import { ASSETS } from '../pages/asset-routes.ts';
import { clockTime, relativeTime } from '../pages/human-time.ts';
import { LocalTime } from '../pages/local-time.tsx';
import { CsrfField, Layout, Notice } from '../pages/layout.tsx';
import type { PageSession } from '../pages/page-session.ts';
import { isActiveDevice } from '../store/devices-store.ts';
import type { DeviceRow } from '../store/schema.ts';
import type { PairingOffer } from '../devices/pending-pairing.ts';

export interface PageNotice {
  kind: 'ok' | 'error';
  text: string;
}

export interface SecurityInfoPageProps {
  session: PageSession;
  devices: DeviceRow[];
  now: number;
  pairing?: PairingOffer | undefined;
  notice?: PageNotice | undefined;
  /** Adding another authenticator first needs an approval on one (the session has no `swk` or `otp`). */
  approvalFirst: boolean;
  /** `?add=authenticator`, where a Temporary Access Pass sign-in lands: say why, and focus the button. */
  finishSetup?: boolean | undefined;
}

/** What the Remove button's confirmation asks (pages/assets/confirm.js shows it). */
export const removeQuestion = (name: string) => `Remove “${name}”? It will stop getting sign-in requests for this account.`;

/** What the page says of a device paired under protocol revision 1. */
export const NEEDS_READDING = 'Needs to be added again';
const NEEDS_READDING_WHY = 'Paired with an older version of Countersign: it can no longer approve sign-ins. Remove it, then add it again.';

/** The name's place in the list's data-remove-question: the polling script (pages/assets/security-info-device-row.js) fills it. */
const NAME_SLOT = '{name}';

/** A device as the page and its polling script show it. */
export function deviceView(device: DeviceRow, now: number) {
  return {
    id: device.id,
    name: device.name,
    added: relativeTime(device.created_at, now),
    addedAt: device.created_at,
    lastUsed: device.last_used_at === null ? 'never' : relativeTime(device.last_used_at, now),
    lastUsedAt: device.last_used_at,
    /** False for a revision-1 device: it can no longer approve; remove it and add it again. */
    active: isActiveDevice(device),
  };
}

/** Your authenticators: list, remove, and add one by pairing the extension. */
export function SecurityInfoPage({ session, devices, now, pairing, notice, approvalFirst, finishSetup }: SecurityInfoPageProps) {
  const { viewer } = session;
  return (
    <Layout title="Security info" width="wide" viewer={viewer} scripts={[ASSETS.securityInfo.url]}>
      {finishSetup ? (
        <>
          <h1>Add an authenticator to finish setting up your account</h1>
          <p class="muted" data-testid="finish-setup">
            Add the Countersign browser extension as your authenticator. From then on you approve your sign-ins with it, without a password
            or a temporary pass.
          </p>
        </>
      ) : (
        <>
          <h1>Security info</h1>
          <p class="muted">
            These are the authenticators you use to sign in as <span class="mono">{viewer.upn}</span>. When someone signs in as you, each
            one is asked to approve.
          </p>
        </>
      )}
      {notice ? (
        <Notice kind={notice.kind}>
          <p>{notice.text}</p>
        </Notice>
      ) : null}
      <Notice kind="ok" id="paired-notice" hidden>
        {''}
      </Notice>

      <h2>Your authenticators</h2>
      <ul
        class="device-list"
        data-testid="device-list"
        data-csrf={viewer.csrf}
        data-remove-question={removeQuestion(NAME_SLOT)}
        data-needs-readding={NEEDS_READDING}
        data-needs-readding-why={NEEDS_READDING_WHY}
        aria-label="Your authenticators"
      >
        {devices.map((device) => {
          const view = deviceView(device, now);
          return (
            <li class="device" data-testid="device" data-device-id={device.id} data-active={String(view.active)}>
              <div class="device-main">
                <span class={view.active ? 'device-icon' : 'device-icon stale'} aria-hidden="true">
                  {view.active ? '✓' : '!'}
                </span>
                <div>
                  <div class="device-name">
                    {device.name}
                    {view.active ? null : (
                      <>
                        {' '}
                        <span class="pill warn" data-testid="device-needs-readding" title={NEEDS_READDING_WHY}>
                          {NEEDS_READDING}
                        </span>
                      </>
                    )}
                  </div>
                  <div class="device-meta">
                    Added <LocalTime at={device.created_at}>{view.added}</LocalTime>
                    {' · '}Last used{' '}
                    {device.last_used_at === null ? 'never' : <LocalTime at={device.last_used_at}>{view.lastUsed}</LocalTime>}
                  </div>
                </div>
              </div>
              <form
                method="post"
                action={`/security-info/devices/${encodeURIComponent(device.id)}/remove`}
                data-confirm={removeQuestion(device.name)}
                data-confirm-action="Remove"
              >
                <CsrfField token={viewer.csrf} />
                <button type="submit" class="button danger small" aria-label={`Remove ${device.name}`}>
                  Remove
                </button>
              </form>
            </li>
          );
        })}
      </ul>
      <p class="empty" id="no-devices" hidden={devices.length > 0}>
        You have no authenticators yet. Add one to sign in without a password.
      </p>

      {pairing ? (
        <section class="pairing" id="pairing" data-expires-at={String(pairing.expiresAt)} aria-labelledby="pairing-title">
          <img class="pairing-qr" data-testid="pairing-qr" src={pairing.qr} width={200} height={200} alt="QR code of the pairing link" />
          <div>
            <h3 id="pairing-title">Add the Countersign extension</h3>
            <ol>
              <li>Open the Countersign extension.</li>
              <li>
                Choose <strong>Add account</strong>.
              </li>
              <li>Scan the QR code on this page, or paste the link below.</li>
            </ol>
            <label for="pairing-link">Pairing link</label>
            <div class="copy-row">
              <input id="pairing-link" type="text" readonly data-testid="pairing-link" value={pairing.link} />
              <button type="button" class="button secondary small" id="copy-link">
                Copy
              </button>
            </div>
            <p class="field-hint" id="copy-status" role="status"></p>
            <p class="small muted" data-testid="pairing-expires">
              Expires in {Math.max(1, Math.round((pairing.expiresAt - now) / 60_000))} minutes (at {clockTime(pairing.expiresAt)}). The link
              works once; keep it to yourself.
            </p>
            <p class="small muted" id="pairing-waiting" role="status">
              Waiting for your authenticator… It shows up here as soon as it is added.
            </p>
          </div>
        </section>
      ) : null}
      <Notice kind="warn" id="pairing-expired" hidden>
        <p>The pairing link expired before an authenticator used it. Make a new one to add your authenticator.</p>
      </Notice>

      <form method="post" action="/security-info/pairings" class="actions start">
        <CsrfField token={viewer.csrf} />
        <button type="submit" class="button" data-testid="add-authenticator" autofocus={finishSetup && !pairing}>
          {pairing ? 'Make a new pairing link' : 'Add authenticator'}
        </button>
      </form>
      {approvalFirst ? (
        <p class="field-hint" data-testid="approval-first">
          You signed in with a password only, so you'll approve on one of your authenticators before adding another.
        </p>
      ) : null}
    </Layout>
  );
}
