import { ApprovalWindow, expect, test } from '../../testing/playwright-fixture.ts';

// Issue 23: the QA kit's page objects read a state only once it is there. The approval window
// renders its request after it opens; a read made before that found nothing (one run in six under load).
// A plain page that renders late stands in for it, so the wait is what is tested.
test.use({ extension: false });

/** An approval window whose request appears 600 ms after the page: three choices, or a number field. */
function lateApproval(mode: 'choose' | 'type'): string {
  const fields =
    mode === 'choose'
      ? ['17', '42', '88'].map((n) => `<button data-testid="choice" aria-label="Number ${n}">${n}</button>`).join('')
      : '<input data-testid="number-input">';
  return `
    <div data-testid="approval" data-state="loading"></div>
    <script>
      setTimeout(() => {
        const root = document.querySelector('[data-testid=approval]');
        root.innerHTML = '<input data-testid="pin-input">' + ${JSON.stringify(fields)};
        root.dataset.state = 'pending';
      }, 600);
    </script>`;
}

test('ApprovalWindow.choices() waits for the buttons to render', async ({ page }) => {
  await page.setContent(lateApproval('choose'));
  expect(await new ApprovalWindow(page).choices()).toEqual(['17', '42', '88']);
});

test('ApprovalWindow.fill() waits for the request before it looks for the number field', async ({ page }) => {
  await page.setContent(lateApproval('type'));
  await new ApprovalWindow(page).fill({ number: '42', pin: '246810' });
  await expect(page.getByTestId('number-input')).toHaveValue('42');
  await expect(page.getByTestId('pin-input')).toHaveValue('246810');
});
