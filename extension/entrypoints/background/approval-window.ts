import { browser } from 'wxt/browser';

/**
 * The one approval window, reused for each new request. Opening it and letting it close go
 * through one queue: two pushes a few milliseconds apart must not each create a window (the
 * second would hide behind the first), and a window closing itself after an outcome must not be
 * handed a request that arrived meanwhile.
 */

/** What the window needs of the browser; the worker's is `browserWindows`, a test's a fake. */
export interface WindowPort {
  storedId(): Promise<number | undefined>;
  store(windowId: number | undefined): Promise<void>;
  /** Shows `url` in the window and focuses it; false when the window is gone. */
  show(windowId: number, url: string): Promise<boolean>;
  create(url: string): Promise<number | undefined>;
}

export class ApprovalWindow {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: WindowPort,
    private readonly urlFor: (requestId?: string) => string,
  ) {}

  /** Opens (or reuses and focuses) the window on `requestId`, or on the oldest request. */
  open(requestId?: string): Promise<void> {
    return this.inTurn(async () => {
      const url = this.urlFor(requestId);
      const stored = await this.port.storedId();
      if (stored !== undefined && (await this.port.show(stored, url))) return;
      await this.port.store(await this.port.create(url));
    });
  }

  /**
   * The window asks to close itself after an outcome. It may unless a request waits; once it
   * may, it is no longer reused, so a push that comes next opens a window of its own.
   */
  mayClose(windowId: number, waitingRequests: () => Promise<number>): Promise<boolean> {
    return this.inTurn(async () => {
      if ((await waitingRequests()) > 0) return false;
      await this.forget(windowId);
      return true;
    });
  }

  /** The browser closed a window (the person, or the window itself). */
  closed(windowId: number): Promise<void> {
    return this.inTurn(() => this.forget(windowId));
  }

  private async forget(windowId: number): Promise<void> {
    if ((await this.port.storedId()) === windowId) await this.port.store(undefined);
  }

  private inTurn<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

const WINDOW_KEY = 'approvalWindowId';

/** The worker's port: the window's id lives in session storage, so a restarted worker reuses it. */
const browserWindows: WindowPort = {
  async storedId() {
    const stored = (await browser.storage.session.get(WINDOW_KEY))[WINDOW_KEY];
    return typeof stored === 'number' ? stored : undefined;
  },
  async store(windowId) {
    if (windowId === undefined) await browser.storage.session.remove(WINDOW_KEY);
    else await browser.storage.session.set({ [WINDOW_KEY]: windowId });
  },
  async show(windowId, url) {
    try {
      const [tab] = await browser.tabs.query({ windowId });
      if (tab?.id === undefined) return false;
      await browser.tabs.update(tab.id, { url });
    } catch {
      return false;
    }
    // The request is on show: a window manager that refuses the focus must not cause a second window.
    await browser.windows.update(windowId, { focused: true, drawAttention: true }).catch(() => undefined);
    return true;
  },
  async create(url) {
    const created = await browser.windows.create({ url, type: 'popup', width: 420, height: 660, focused: true });
    return created?.id;
  },
};

export const approvalWindow = new ApprovalWindow(browserWindows, (requestId) =>
  browser.runtime.getURL(`/approve.html${requestId ? `?request=${encodeURIComponent(requestId)}` : ''}`),
);
