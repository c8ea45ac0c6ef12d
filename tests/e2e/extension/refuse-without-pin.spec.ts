import { SigninClient } from '../../../testing/admin-client.ts';
import { expect, test, type FrameRecorder } from '../../../testing/playwright-fixture.ts';
import { SignInPage } from './relay-pages.ts';

// An extension page's own global, as seen inside page.evaluate().
declare const chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } };

/**
 * Protocol revision 2: approving needs the PIN (it unwraps the approval key); denying and "It
 * wasn't me" do not (the connect key signs them, `unlock: "none"`). What the service worker sends
 * is read off its sockets with DevTools, so "nothing reached the relay" is seen, not assumed.
 */

function decisionsIn(recorder: FrameRecorder): Array<Record<string, unknown>> {
  return recorder.frames().filter((frame) => frame.type === 'decision');
}

test.describe('the PIN is needed to approve, and only to approve', () => {
  test.beforeEach(async ({ relay, authenticator }) => {
    await authenticator.setPin();
    await authenticator.pairUser(relay, 'alice@demo.test');
  });

  test('an approve without the PIN signs nothing: nothing reaches the relay, the request stays pending', async ({
    relay,
    authenticator,
  }) => {
    const recorder = await authenticator.recordSentFrames();
    const signins = new SigninClient(relay.origin);
    const signin = await signins.createSignin({ upn: 'alice@demo.test', app: 'demo' });
    const window = await authenticator.nextApproval();

    // In the window: with the number but no PIN, Approve cannot be pressed, and Enter does nothing.
    await window.fill({ number: signin.number });
    await expect(window.page.getByTestId('approve')).toBeDisabled();
    await window.numberInput.press('Enter');
    await expect(window.root).toHaveAttribute('data-state', 'pending');

    // Asking the worker directly, as a page of the extension could, is refused before any signing.
    const answer = await window.page.evaluate(
      (requestId) => chrome.runtime.sendMessage({ type: 'decide', requestId, decision: 'approve', number: '', remember: false }),
      signin.requestId,
    );
    expect(answer).toEqual({ ok: false, code: 'invalid_number' });
    const withNumber = await window.page.evaluate(
      ({ requestId, number }) => chrome.runtime.sendMessage({ type: 'decide', requestId, decision: 'approve', number, remember: false }),
      { requestId: signin.requestId, number: signin.number },
    );
    expect(withNumber).toEqual({ ok: false, code: 'pin_required' });
    expect(decisionsIn(recorder)).toEqual([]);
    expect((await signins.getStatus(signin)).status).toBe('pending');

    // The same request approved with the PIN: one decision goes out (so the recorder does see them).
    await window.decide('approve', { pin: authenticator.pin });
    expect(await window.outcome()).toBe('approved');
    await expect.poll(() => decisionsIn(recorder)).toMatchObject([{ decision: 'approve', number: signin.number, unlock: 'pin' }]);
    await recorder.stop();
  });

  for (const [decision, outcome] of [
    ['deny', 'denied'],
    ['report', 'reported'],
  ] as const) {
    test(`${decision === 'deny' ? 'Deny' : '"It wasn\'t me"'} works without the PIN`, async ({ page, relay, authenticator }) => {
      const recorder = await authenticator.recordSentFrames();
      const signIn = new SignInPage(page, relay);
      await signIn.start('alice@demo.test');
      const window = await authenticator.nextApproval();
      await expect(window.pinInput).toHaveValue('');
      await expect(window.page.getByTestId(decision)).toBeEnabled();

      await window.decide(decision);

      expect(await window.outcome()).toBe(outcome);
      await signIn.expectState(outcome);
      await expect.poll(() => decisionsIn(recorder)).toMatchObject([{ decision, number: '', unlock: 'none' }]);
      // No PIN was tried, so the slow-down counted nothing.
      const settings = (await authenticator.readDatabase()).settings ?? [];
      expect(settings.find((record) => record.key === 'pinAttempts')?.failures ?? 0).toBe(0);
      await recorder.stop();
    });
  }
});
