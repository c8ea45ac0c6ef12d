import { browser } from 'wxt/browser';
import { CHANGED_BROADCAST, type ResponseFor, type RuntimeRequest } from './runtime-messages.ts';

/** The pages' side of runtime messaging: typed requests to the worker, and change notices. */
export async function call<T extends RuntimeRequest>(request: T): Promise<ResponseFor<T>> {
  return browser.runtime.sendMessage<T, ResponseFor<T>>(request);
}

export function onChanged(listener: () => void): () => void {
  const handler = (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === CHANGED_BROADCAST.type) listener();
  };
  browser.runtime.onMessage.addListener(handler);
  return () => browser.runtime.onMessage.removeListener(handler);
}
