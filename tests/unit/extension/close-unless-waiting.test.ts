import { describe, expect, it, vi } from 'vitest';
import { closeUnlessWaiting } from '../../../extension/entrypoints/approve/close-unless-waiting.ts';

const approvalWindow = (mayClose: () => Promise<boolean>) => ({ mayClose, close: vi.fn(), showWaiting: vi.fn() });

describe('the approval window after an outcome', () => {
  it('closes when the background says no request waits', async () => {
    const window = approvalWindow(async () => true);
    await closeUnlessWaiting(window);
    expect(window.close).toHaveBeenCalledOnce();
    expect(window.showWaiting).not.toHaveBeenCalled();
  });

  it('stays open for a request that arrived as it was about to close, and shows it', async () => {
    const window = approvalWindow(async () => false);
    await closeUnlessWaiting(window);
    expect(window.close).not.toHaveBeenCalled();
    expect(window.showWaiting).toHaveBeenCalledOnce();
  });

  it('closes when the background cannot be asked', async () => {
    const window = approvalWindow(() => Promise.reject(new Error('Receiving end does not exist.')));
    await closeUnlessWaiting(window);
    expect(window.close).toHaveBeenCalledOnce();
  });
});
