/** @jsxImportSource hono/jsx */
import { Layout, Notice } from '../pages/layout.tsx';

/**
 * Where a pairing link lands when opened in a browser. The token is in the fragment, so it never
 * reached this server; the page only explains what to do with the link.
 */
export function PairPage() {
  return (
    <Layout title="Pairing link">
      <h1>Open this link in the Countersign extension</h1>
      <p>
        This is a pairing link. It adds your account to the Countersign browser extension so the extension can approve your sign-ins, like
        an authenticator app on a phone.
      </p>
      <ol>
        <li>Open the Countersign extension from your browser's toolbar.</li>
        <li>
          Choose <strong>Add account</strong>.
        </li>
        <li>Scan the QR code on the Security info page, or paste this page's full address (the link) into the extension.</li>
      </ol>
      <Notice kind="info">
        <p>
          The secret part of the link stays in your browser: it was never sent to this server. The link works once and expires 10 minutes
          after it was made.
        </p>
      </Notice>
      <div class="links">
        <a href="/security-info">Go to Security info</a>
      </div>
    </Layout>
  );
}
