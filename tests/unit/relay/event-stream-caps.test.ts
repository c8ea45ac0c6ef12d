import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../relay-server/api-error.ts';
import { EVENT_STREAM_LIMITS, EventStreamCaps } from '../../../relay-server/http/event-stream-caps.ts';

describe('EventStreamCaps', () => {
  it('allows 4 streams per sign-in request, 64 per client and 10,000 in all by default', () => {
    expect(EVENT_STREAM_LIMITS).toEqual({ perRequest: 4, perClient: 64, total: 10_000 });
  });

  it('refuses the stream past the per-request cap with 429 rate_limited and a Retry-After', () => {
    const caps = new EventStreamCaps({ perRequest: 2, perClient: 64, total: 100 });
    expect(typeof caps.take('a')).toBe('function');
    expect(typeof caps.take('a')).toBe('function');
    const refused = caps.take('a');
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
    // Another request is not affected.
    expect(typeof caps.take('b')).toBe('function');
  });

  it('refuses unfamiliar clients past the total cap, and never a familiar browser', () => {
    const caps = new EventStreamCaps({ perRequest: 4, perClient: 64, total: 3 });
    const places = ['a', 'b', 'c'].map((id) => caps.take(id, `192.0.2.${id.charCodeAt(0)}`));
    expect(places.every((place) => typeof place === 'function')).toBe(true);
    expect(caps.take('d', '192.0.2.200')).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(typeof caps.take('e', 'familiar:abc', true)).toBe('function');
    (places[0] as () => void)();
    (places[1] as () => void)();
    expect(typeof caps.take('d', '192.0.2.200')).toBe('function');
  });

  it('refuses a client past its own cap, and no other client', () => {
    const caps = new EventStreamCaps({ perRequest: 4, perClient: 2, total: 100 });
    expect(typeof caps.take('a', '192.0.2.1')).toBe('function');
    expect(typeof caps.take('b', '192.0.2.1')).toBe('function');
    expect(caps.take('c', '192.0.2.1')).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(typeof caps.take('c', '192.0.2.2')).toBe('function');
  });

  it('gives a place back once, however often its release is called', () => {
    const caps = new EventStreamCaps({ perRequest: 1, perClient: 64, total: 10 });
    const place = caps.take('a') as () => void;
    place();
    place();
    expect(caps.open).toBe(0);
    expect(caps.openFor('a')).toBe(0);
    const again = caps.take('a');
    expect(typeof again).toBe('function');
    expect(caps.take('a')).toBeInstanceOf(ApiError);
    expect(caps.open).toBe(1);
  });
});
