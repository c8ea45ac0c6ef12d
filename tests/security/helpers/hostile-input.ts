import fc from 'fast-check';

/**
 * fast-check arbitraries for hostile input: valid messages mutated field by field, random JSON,
 * non-JSON text and random bytes. Every generated string that could come back in an answer
 * carries MARKER, so a test can check that no answer echoes what was sent.
 */

/** In every hostile string; an error answer that contains it echoed the input. */
export const MARKER = 'Fz9MARKERqk';

/** JSON text written as is: number literals JSON.stringify cannot write (-0, 1e309), deep nesting. */
export class RawJson {
  constructor(readonly text: string) {}
}

const RAW_TAG = '@@raw-json@@';

/** JSON.stringify, but RawJson values are spliced in verbatim. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text =
    JSON.stringify(value, (_key, inner: unknown) => (inner instanceof RawJson ? `${RAW_TAG}${raws.push(inner.text) - 1}` : inner)) ??
    'null';
  return text.replace(new RegExp(`"${RAW_TAG}(\\d+)"`, 'g'), (_match, index: string) => raws[Number(index)]!);
}

const SPECIAL_TEXT = [
  '\uD800',
  '\uDFFF',
  '\uDC00\uD800',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u202E',
  '\u200F',
  '\u061C',
  '\u200B',
  '\uFEFF',
  '\u2028',
  '\uFFFF',
  '💥',
  'e\u0301',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'null',
  'true',
  '{}',
  '[]',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  '%00',
  '%0a',
  '../../etc/passwd',
  ' ',
  '',
];
const RAW_NUMBERS = [
  '-0',
  '1e308',
  '1e309',
  '-1e309',
  '1.5',
  '0.1',
  '-1',
  '1E3',
  '5e-324',
  '9007199254740993',
  '123456789012345678901234567890',
];

/** A string holding MARKER between odd characters (lone surrogates, controls, RTL marks, emoji…). */
export const markedString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...SPECIAL_TEXT), fc.string({ unit: 'binary', maxLength: 6 }), fc.constantFrom(...SPECIAL_TEXT))
  .map(([before, middle, after]) => `${before}${MARKER}${middle}${after}`);

/** Strings of lengths at and past the protocol's limits (ids 22, keys 87, upn 254, bodies and frames 16 KiB). */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(21, 22, 23, 64, 65, 86, 87, 88, 128, 129, 254, 255, 256, 257, 4_000, 16_500, 40_000),
    fc.constantFrom('x', '7', 'é', '💥', '\u202E'),
  )
  .map(([length, unit]) => (MARKER + unit.repeat(length)).slice(0, Math.max(length, MARKER.length)));

/** Any value a field should not hold: wrong types, odd numbers, odd or huge strings, nesting. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  markedString,
  hugeString,
  fc.constantFrom(...SPECIAL_TEXT),
  fc.constantFrom(null, true, false, 0, -1, 0.5, -0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 31, 2 ** 53 + 2),
  fc.constantFrom(...RAW_NUMBERS).map((literal) => new RawJson(literal)),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  markedString.map((text) => [text]),
  markedString.map((text) => ({ [text]: text, nested: { deeper: [text] } })),
  fc.constantFrom([], {}, [[[]]], [null], { type: MARKER }),
  fc.constantFrom(200, 2_000).map((depth) => new RawJson(`${'['.repeat(depth)}"${MARKER}"${']'.repeat(depth)}`)),
  fc.array(markedString, { minLength: 2, maxLength: 70 }),
);

type Path = Array<string | number>;
/** One field-level change: drop the field at `path`, or put `value` there. */
export interface Mutation {
  path: Path;
  drop: boolean;
  value: unknown;
}

/** Every path to a field of `template`, nested ones included (objects and arrays). */
function fieldPaths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  return entries.flatMap(([key, inner]) => [[...prefix, key], ...fieldPaths(inner, [...prefix, key])]);
}

/**
 * One to three field changes for a message shaped like `template` (drop a field, or give it a
 * hostile value), applied later with `applyMutations` to a base of the same shape, so bases
 * that differ per socket (the nonce in `auth`) can share them.
 */
export function mutationsOf(template: object): fc.Arbitrary<Mutation[]> {
  const paths = fieldPaths(template);
  const mutation = fc.record({ path: fc.constantFrom(...paths), drop: fc.boolean(), value: hostileValue });
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
}

/** A copy of `base` with the mutations applied (one whose parent was replaced earlier is skipped). */
export function applyMutations<T>(base: T, mutations: readonly Mutation[]): unknown {
  const copy = structuredClone(base) as unknown;
  for (const { path, drop, value } of mutations) {
    let parent: unknown = copy;
    for (const key of path.slice(0, -1))
      parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[key] : undefined;
    if (parent === null || typeof parent !== 'object') continue;
    const key = path[path.length - 1]!;
    if (!drop) (parent as Record<string | number, unknown>)[key] = value;
    else if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
    else delete (parent as Record<string | number, unknown>)[key];
  }
  return copy;
}

/** What goes over the wire: text or bytes, and the content type claimed for it. */
export interface HostileBody {
  payload: string | Uint8Array;
  contentType: string | undefined;
}

const NOT_JSON = [
  '{',
  '{"upn":',
  '{"a":1,}',
  "{'a':1}",
  'NaN',
  'undefined',
  '\uFEFF{}',
  '{"a":"\\x41"}',
  '{"a":"\\ud800"',
  '[1,2',
  'nul',
  '{}{}',
  '"',
];

/** Text that is not JSON, or raw bytes (often not UTF-8). */
export const notJson: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.constantFrom(...NOT_JSON),
  fc.string({ unit: 'binary', maxLength: 64 }).map((text) => `{${MARKER}${text}`),
  fc.uint8Array({ minLength: 1, maxLength: 512 }),
);

/**
 * Bodies for an HTTP route whose valid body is `base`: mostly `base` mutated field by field, then
 * random JSON, non-JSON text or bytes sent as application/json, and `base` under the wrong type.
 * Only mutated bodies can still be valid (a dropped optional field); the test decides whether
 * that is allowed.
 */
export function hostileBodies(base: object): fc.Arbitrary<HostileBody> {
  const json = (value: unknown): HostileBody => ({ payload: toJsonText(value), contentType: 'application/json' });
  return fc.oneof(
    { weight: 8, arbitrary: mutationsOf(base).map((mutations) => json(applyMutations(base, mutations))) },
    { weight: 2, arbitrary: fc.jsonValue().map(json) },
    { weight: 1, arbitrary: hostileValue.map(json) },
    { weight: 2, arbitrary: notJson.map((payload) => ({ payload, contentType: 'application/json' })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', undefined)
        .map((contentType) => ({ payload: toJsonText(base), contentType })),
    },
  );
}

/**
 * numRuns for one property, scaled by COUNTERSIGN_FUZZ_FACTOR (e.g. 20 for a long hunt; the
 * default keeps the fuzz suite under 40 s on two cores).
 */
export function fuzzRuns(runs: number): number {
  const factor = Number(process.env.COUNTERSIGN_FUZZ_FACTOR ?? '1');
  return Math.max(1, Math.round(runs * (Number.isFinite(factor) && factor > 0 ? factor : 1)));
}

/** A test timeout that grows with COUNTERSIGN_FUZZ_FACTOR. */
export function fuzzTimeout(ms = 20_000): number {
  return fuzzRuns(ms);
}
