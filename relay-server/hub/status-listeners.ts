import type { SigninStatusResponse } from '../../protocol/messages.ts';

type Listener = (status: SigninStatusResponse) => void;

/** Browsers waiting on a request's status, on this instance; both fan-outs keep theirs here. */
export class StatusListeners {
  private readonly byRequest = new Map<string, Set<Listener>>();

  add(requestId: string, listener: Listener): () => void {
    let listeners = this.byRequest.get(requestId);
    if (!listeners) this.byRequest.set(requestId, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.byRequest.delete(requestId);
    };
  }

  notify(requestId: string, status: SigninStatusResponse): void {
    for (const listener of this.byRequest.get(requestId) ?? []) listener(status);
  }

  clear(): void {
    this.byRequest.clear();
  }
}
