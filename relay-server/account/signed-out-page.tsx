/** @jsxImportSource hono/jsx */
import { Layout } from '../pages/layout.tsx';

/** Where signing out lands (a GET after the sign-out form's 303), so a reload posts nothing. */
export function SignedOutPage() {
  return (
    <Layout title="Signed out">
      <h1 data-testid="signed-out">You signed out.</h1>
      <p>Your session on this browser has ended. Your authenticators stay on your account.</p>
      <div class="actions start">
        <a class="button" href="/signin" data-testid="sign-in-again">
          Sign in again
        </a>
      </div>
    </Layout>
  );
}
