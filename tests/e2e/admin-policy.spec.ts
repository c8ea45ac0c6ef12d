import { expect, test } from '../../testing/playwright-fixture.ts';

// Issue 4: an administrator switches number matching to "choose" on the admin pages, and the
// very next sign-in reaches the extension with three choices, the right one among them.
test('an admin switches to choose mode and the next sign-in comes with three choices', async ({ page, relay, authenticator }) => {
  await authenticator.setPin('246810');
  await authenticator.pairUser(relay, 'alice@demo.test');

  await page.goto(`${relay.origin}/signin/password?upn=admin%40demo.test`);
  await page.getByLabel('Password', { exact: true }).fill('countersign-admin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${relay.origin}/me`);
  await page.goto(`${relay.origin}/admin/policy`);
  await page.getByLabel('Number matching').selectOption('choose');
  await page.getByLabel('Digits (2 to 6)').fill('3');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await page.waitForURL(/\/admin\/policy\?saved=1$/);
  await expect(page.getByLabel('Number matching')).toHaveValue('choose');
  await expect(page.getByTestId('lucky-guess')).toContainText('1 in 3');

  const signinPage = await page.context().newPage();
  await signinPage.goto(`${relay.origin}/signin?app=wiki`);
  await signinPage.locator('input[name=upn]').fill('alice@demo.test');
  await signinPage.getByRole('button', { name: 'Next' }).click();
  const number = (await signinPage.getByTestId('match-number').textContent())!.trim();
  expect(number).toMatch(/^\d{3}$/);

  const window = await authenticator.nextApproval();
  const choices = await window.choices();
  expect(choices).toHaveLength(3);
  expect(new Set(choices).size).toBe(3);
  expect(choices).toContain(number);
  await window.decide('approve', { number, pin: authenticator.pin });
  expect(await window.outcome()).toBe('approved');
  await expect(signinPage.getByTestId('signed-in-as')).toHaveText('alice@demo.test');
});
