import { readServerSentEvents, type ServerSentEvent } from '../../../testing/event-stream-parser.ts';
import { WAIT_MS } from './test-relay.ts';

/**
 * A sign-in's Server-Sent Events stream read straight from the fetch body, keeping the raw
 * text too so tests can check the wire format (`event: status` lines), not only the parse.
 */
export class EventStreamReader {
  readonly events: ServerSentEvent[] = [];
  raw = '';
  ended = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly response: Response) {
    const [forText, forEvents] = response.body!.tee();
    void this.pump(forText);
    void this.collect(forEvents);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStreamReader> {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: AbortSignal.timeout(WAIT_MS * 2) });
    return new EventStreamReader(response);
  }

  /** The `data` of every `status` event so far, parsed. */
  statuses(): Array<{ status: string; reason?: string }> {
    return this.events.filter((event) => event.event === 'status').map((event) => JSON.parse(event.data));
  }

  /** Waits until a status event with this status has come. */
  waitForStatus(status: string): Promise<void> {
    return this.waitFor(`status ${status}`, () => this.statuses().some((event) => event.status === status));
  }

  /** Waits until the relay ends the stream. */
  waitForEnd(): Promise<void> {
    return this.waitFor('end of stream', () => this.ended);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.raw += decoder.decode(value, { stream: true });
        this.wake();
      }
    } catch {
      // Aborted by the timeout signal: the waits report it.
    }
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const event of readServerSentEvents(stream)) {
        this.events.push(event);
        this.wake();
      }
      this.ended = true;
    } catch {
      // Aborted by the timeout signal.
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private waitFor(what: string, done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${WAIT_MS} ms; stream so far: ${JSON.stringify(this.raw)}`));
      }, WAIT_MS);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}
