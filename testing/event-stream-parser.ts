/**
 * The one Server-Sent Events parser of the kit, the bench and the tests: the EventSource parsing
 * rules that matter here (WHATWG HTML, "Interpreting an event stream"). Lines end in CRLF, LF or
 * CR; `data` lines join with LF; comments (`: keepalive`) and unknown fields are skipped; an event
 * without any `data` line is not dispatched; an event the stream cuts off before its blank line is
 * dropped.
 */

export interface ServerSentEvent {
  /** `message` unless the event named itself with an `event:` line. */
  event: string;
  data: string;
}

/**
 * Fed text as it arrives, in chunks cut anywhere; gives back the events each chunk completes.
 *
 * @example
 * const parser = new EventStreamParser();
 * parser.push('event: status\ndata: {"status":"pen');  // → []
 * parser.push('ding"}\n\n');                           // → [{ event: 'status', data: '{"status":"pending"}' }]
 */
export class EventStreamParser {
  private buffer = '';
  private eventType = 'message';
  private data: string[] = [];

  push(text: string): ServerSentEvent[] {
    this.buffer += text;
    return this.takeLines(false);
  }

  /** The stream ended: a CR left at the very end was a line end after all. */
  end(): ServerSentEvent[] {
    const events = this.takeLines(true);
    this.buffer = '';
    this.eventType = 'message';
    this.data = [];
    return events;
  }

  private takeLines(ended: boolean): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    let lineStart = 0;
    for (;;) {
      const lineEnd = nextLineEnd(this.buffer, lineStart);
      if (lineEnd < 0) break;
      // A CR at the end of the text so far may be the first half of a CRLF: wait for more.
      if (!ended && lineEnd === this.buffer.length - 1 && this.buffer[lineEnd] === '\r') break;
      const event = this.takeLine(this.buffer.slice(lineStart, lineEnd));
      if (event) events.push(event);
      lineStart = lineEnd + (this.buffer.startsWith('\r\n', lineEnd) ? 2 : 1);
    }
    this.buffer = this.buffer.slice(lineStart);
    return events;
  }

  private takeLine(line: string): ServerSentEvent | undefined {
    if (line === '') {
      const event = this.data.length > 0 ? { event: this.eventType || 'message', data: this.data.join('\n') } : undefined;
      this.eventType = 'message';
      this.data = [];
      return event;
    }
    if (line.startsWith(':')) return undefined;
    const colonAt = line.indexOf(':');
    const field = colonAt < 0 ? line : line.slice(0, colonAt);
    const rawValue = colonAt < 0 ? '' : line.slice(colonAt + 1);
    const value = rawValue.startsWith(' ') ? rawValue.slice(1) : rawValue;
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.data.push(value);
    return undefined;
  }
}

function nextLineEnd(text: string, from: number): number {
  for (let at = from; at < text.length; at++) {
    const char = text[at];
    if (char === '\n' || char === '\r') return at;
  }
  return -1;
}

/** The events of a fetch body, as they come; cancels the body when the reader stops early. */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  const parser = new EventStreamParser();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        yield* parser.push(decoder.decode());
        yield* parser.end();
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
