import { describe, expect, it } from 'vitest';
import { EventStreamParser, readServerSentEvents } from '../../../testing/event-stream-parser.ts';

/** Every event the chunks give, fed one chunk at a time, then the end of the stream. */
function parseChunks(...chunks: string[]) {
  const parser = new EventStreamParser();
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()];
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

async function collect<T>(events: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('EventStreamParser', () => {
  it('gives an event once its blank line has come, however the chunks cut it', () => {
    const parser = new EventStreamParser();

    expect(parser.push('event: sta')).toEqual([]);
    expect(parser.push('tus\ndata: {"status":"pen')).toEqual([]);
    expect(parser.push('ding"}\n')).toEqual([]);
    expect(parser.push('\nevent: status\ndata: {"status":"approved"}\n\n')).toEqual([
      { event: 'status', data: '{"status":"pending"}' },
      { event: 'status', data: '{"status":"approved"}' },
    ]);
  });

  it('takes CRLF, LF and CR as line ends, a CRLF split across chunks as one', () => {
    expect(parseChunks('data: a\r', '\ndata: b\r\n\r', '\ndata: c\rdata: d\r\r', 'data: e\n\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c\nd' },
      { event: 'message', data: 'e' },
    ]);
  });

  it('joins multi-line data with LF and keeps an empty data line', () => {
    expect(parseChunks('data: {"a":\ndata:\ndata:  1}\n\n')).toEqual([{ event: 'message', data: '{"a":\n\n 1}' }]);
  });

  it('skips comments, heartbeats and unknown fields', () => {
    expect(parseChunks(': hello\n\n', ':\n', 'id: 7\nretry: 1000\nevent: status\n: keepalive\ndata: x\n\n')).toEqual([
      { event: 'status', data: 'x' },
    ]);
  });

  it('dispatches no event without data, and forgets its name', () => {
    expect(parseChunks('event: status\n\ndata: y\n\n')).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('drops an event the stream cuts off before its blank line', () => {
    expect(parseChunks('data: whole\n\ndata: cut')).toEqual([{ event: 'message', data: 'whole' }]);
  });

  it('ends a line on a CR that comes last in the stream', () => {
    const parser = new EventStreamParser();

    expect(parser.push('data: last\n\r')).toEqual([]);
    expect(parser.end()).toEqual([{ event: 'message', data: 'last' }]);
  });
});

describe('readServerSentEvents()', () => {
  it('decodes a character split across chunks and parses the whole body', async () => {
    const bytes = new TextEncoder().encode('event: x\ndata: café\n\n');
    const splitAt = bytes.indexOf(0xc3) + 1;

    const events = await collect(readServerSentEvents(streamOf(bytes.slice(0, splitAt), bytes.slice(splitAt))));

    expect(events).toEqual([{ event: 'x', data: 'café' }]);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: first\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });

    for await (const event of readServerSentEvents(body)) {
      expect(event.data).toBe('first');
      break;
    }

    expect(cancelled).toBe(true);
  });
});
