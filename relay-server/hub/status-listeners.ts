import type { SigninStatusResponse } from '../../protocol/messages.ts';

type Listener = (status: SigninStatusResponse) => void;

/** Browsers waiting on a request's status, on this instance; both fan-outs keep theirs here. */
export class StatusListeners {
  private readonly byRequest = new Map<string, Set<Listener>>();
  private count = 0;

  /** Listeners registered now: one per open event stream. */
  get size(): number {
    return this.count;
  }

  add(requestId: string, listener: Listener): () => void {
    let listeners = this.byRequest.get(requestId);
    if (!listeners) this.byRequest.set(requestId, (listeners = new Set()));
    listeners.add(listener);
    this.count += 1;
    return () => {
      if (!listeners.delete(listener)) return;
      this.count -= 1;
      if (listeners.size === 0) this.byRequest.delete(requestId);
    };
  }

  notify(requestId: string, status: SigninStatusResponse): void {
    for (const listener of this.byRequest.get(requestId) ?? []) listener(status);
  }

  /** The requests someone waits on here. */
  requestIds(): string[] {
    return [...this.byRequest.keys()];
  }

  clear(): void {
    this.byRequest.clear();
    this.count = 0;
  }
}
