import { describe, expect, it } from 'vitest';
import { ApprovalWindow, type WindowPort } from '../../../extension/entrypoints/background/approval-window.ts';

/** A browser with windows that each show one URL; `create` takes as long as the test lets it. */
function fakeBrowser() {
  const windows = new Map<number, string>();
  let stored: number | undefined;
  let nextId = 1;
  let creating: Array<() => void> = [];
  let slowCreate = false;
  const port: WindowPort = {
    storedId: async () => stored,
    store: async (windowId) => {
      stored = windowId;
    },
    show: async (windowId, url) => {
      if (!windows.has(windowId)) return false;
      windows.set(windowId, url);
      return true;
    },
    create: async (url) => {
      if (slowCreate) await new Promise<void>((resolve) => creating.push(resolve));
      const id = nextId++;
      windows.set(id, url);
      return id;
    },
  };
  return {
    port,
    windows,
    stored: () => stored,
    slow() {
      slowCreate = true;
    },
    finishCreating() {
      creating.forEach((resolve) => resolve());
      creating = [];
    },
    close(windowId: number) {
      windows.delete(windowId);
    },
  };
}

const urlFor = (requestId?: string) => `approve.html${requestId ? `?request=${requestId}` : ''}`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A keeper whose window was opened on `requestId`, and that window's id. */
async function windowOpenedOn(requestId: string) {
  const browser = fakeBrowser();
  const keeper = new ApprovalWindow(browser.port, urlFor);
  await keeper.open(requestId);
  return { browser, keeper, windowId: browser.stored()! };
}

describe('the one approval window', () => {
  it('opens one window for two pushes a moment apart, showing the newer request', async () => {
    const browser = fakeBrowser();
    const keeper = new ApprovalWindow(browser.port, urlFor);
    browser.slow();
    const first = keeper.open('req-a');
    const second = keeper.open('req-b');
    await settle();
    browser.finishCreating();
    await Promise.all([first, second]);
    expect([...browser.windows.values()]).toEqual(['approve.html?request=req-b']);
  });

  it('reuses the window it opened, and opens another when that one is gone', async () => {
    const { browser, keeper, windowId: first } = await windowOpenedOn('req-a');
    await keeper.open('req-b');
    expect(browser.stored()).toBe(first);
    browser.close(first);
    await keeper.open('req-c');
    expect(browser.stored()).not.toBe(first);
    expect([...browser.windows.values()]).toEqual(['approve.html?request=req-c']);
  });

  it('does not let the window close while a request waits, and keeps reusing it', async () => {
    const { browser, keeper, windowId } = await windowOpenedOn('req-a');
    expect(await keeper.mayClose(windowId, async () => 1)).toBe(false);
    await keeper.open('req-b');
    expect(browser.windows.get(windowId)).toBe('approve.html?request=req-b');
  });

  it('gives a push that arrives while the window decides to close a window of its own', async () => {
    const { browser, keeper, windowId: closing } = await windowOpenedOn('req-a');
    // The push lands after the window counted no waiting request, before it has closed.
    const mayClose = keeper.mayClose(closing, async () => 0);
    const pushed = keeper.open('req-b');
    expect(await mayClose).toBe(true);
    await pushed;
    browser.close(closing);
    await keeper.closed(closing);
    expect([...browser.windows.values()]).toEqual(['approve.html?request=req-b']);
    expect(browser.stored()).not.toBe(closing);
  });

  it('forgets only the window that closed', async () => {
    const { browser, keeper, windowId } = await windowOpenedOn('req-a');
    await keeper.closed(windowId + 100);
    expect(browser.stored()).toBe(windowId);
    await keeper.closed(windowId);
    expect(browser.stored()).toBeUndefined();
  });

  it('goes on after a step that failed', async () => {
    const browser = fakeBrowser();
    const keeper = new ApprovalWindow({ ...browser.port, create: () => Promise.reject(new Error('no windows here')) }, urlFor);
    await expect(keeper.open('req-a')).rejects.toThrow('no windows here');
    expect(await keeper.mayClose(1, async () => 0)).toBe(true);
  });
});
