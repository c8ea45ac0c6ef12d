// The QA-kit example shown in README.md, run as it is written there (imports aside).
import { expect, test } from '../../testing/playwright-fixture.ts';

test('Alice approves her sign-in from the extension', async ({ page, relay, authenticator }) => {
  await authenticator.setPin('246810');
  await authenticator.pairUser(relay, 'alice@demo.test');
  await page.goto(`${relay.origin}/signin?app=demo`);
  await page.locator('input[name=upn]').fill('alice@demo.test');
  await page.getByRole('button', { name: 'Next' }).click();
  const window = await authenticator.approveNext({ page }); // reads [data-testid=match-number]
  expect(await window.outcome()).toBe('approved');
  await expect(page.getByTestId('signed-in-as')).toHaveText('alice@demo.test');
});
