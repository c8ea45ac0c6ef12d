import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

/** A Server-Sent Events stream as a route sees it. */
export interface EventStream {
  /** One event; `data` must be a single line (JSON is). */
  send(event: string, data: string): void;
  /** A comment line, which keeps proxies from closing an idle stream. */
  comment(text: string): void;
  /** Ends the stream, after one last event if given; `onClose` listeners run. */
  end(last?: { event: string; data: string }): void;
  /** Runs once when the stream ends, by `end()` or because the client went away. */
  onClose(listener: () => void): void;
}

const HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/**
 * Opens an event stream for this request and gives the Response the route returns. Under the
 * relay's Node server it writes straight to Node's response: Hono's `streamSSE` goes through a
 * web TransformStream that the adapter then reads back chunk by chunk, and that cost a fifth of
 * the relay's CPU per sign-in in `npm run bench` (docs/performance.md). Elsewhere
 * (`app.request()` in tests, other runtimes) the same events go into a ReadableStream body.
 */
export function openEventStream(c: Context): { stream: EventStream; response: Response } {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  return outgoing ? nodeEventStream(outgoing) : webEventStream(c);
}

function frame(event: string, data: string): string {
  if (/[\r\n]/.test(event) || /[\r\n]/.test(data)) throw new TypeError('event stream fields must be single lines');
  return `event: ${event}\ndata: ${data}\n\n`;
}

function closeOnce(): { onClose(listener: () => void): void; close(): boolean } {
  const listeners: (() => void)[] = [];
  let closed = false;
  return {
    onClose: (listener) => void (closed ? listener() : listeners.push(listener)),
    close() {
      if (closed) return false;
      closed = true;
      for (const listener of listeners.splice(0)) listener();
      return true;
    },
  };
}

/** The stream a route sees, over a transport's `write` and `finish` (which sends the last text, if any, and ends). */
function streamOver(write: (text: string) => void, finish: (last?: string) => void): { stream: EventStream; close(): boolean } {
  const lifecycle = closeOnce();
  const stream: EventStream = {
    send: (event, data) => write(frame(event, data)),
    comment: (text) => write(`: ${text}\n\n`),
    end(last) {
      if (lifecycle.close()) finish(last === undefined ? undefined : frame(last.event, last.data));
    },
    onClose: lifecycle.onClose,
  };
  return { stream, close: lifecycle.close };
}

function nodeEventStream(outgoing: ServerResponse): { stream: EventStream; response: Response } {
  outgoing.writeHead(200, HEADERS);
  const { stream, close } = streamOver(
    (text) => {
      if (!outgoing.writableEnded) outgoing.write(text);
    },
    // The last event and the end of the body in one write: one syscall less per sign-in.
    (last) => outgoing.end(last),
  );
  outgoing.once('close', () => close());
  return { stream, response: RESPONSE_ALREADY_SENT };
}

function webEventStream(c: Context): { stream: EventStream; response: Response } {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const write = (text: string) => {
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      // Closed or cancelled: nobody is reading any more.
    }
  };
  const { stream, close } = streamOver(write, (last) => {
    if (last !== undefined) write(last);
    controller.close();
  });
  const body = new ReadableStream<Uint8Array>({
    start: (started) => void (controller = started),
    cancel: () => void close(),
  });
  return { stream, response: c.body(body, 200, HEADERS) };
}
