import { expect, test } from 'countersign/testing/fixture';
import { startSignInAtApp } from 'countersign/testing';

// A virtual device approves, so this browser needs no extension.
test.use({ extension: false });

test('Alice signs in to the sample app and approves on her virtual device', async ({ page, sampleApp, virtualDevice }) => {
  const device = await virtualDevice('alice@demo.test'); // paired with the test's demo relay, connected
  const app = await sampleApp(); // registered on that relay, on a free port

  // The app's "Sign in with Countersign", the relay's sign-in page, the number it shows.
  const number = await startSignInAtApp(page, app, 'alice@demo.test');
  const request = await device.waitForChallenge();
  expect((await device.approve(request.requestId, number)).outcome).toBe('approved');

  await expect(page.getByTestId('app-welcome')).toContainText('Alice');
});
