import type { Compilable, Kysely, QueryResult } from 'kysely';

const MARKER = '\u0000Countersign-Arg-';
const placeholder = (index: number) => `${MARKER}${index}\u0000`;

/** The SQL of every prepared query, named: PostgreSQL parses and plans each once per connection (store/open-postgres.ts). */
const statementNames = new Map<string, string>();

/** The name PostgreSQL may keep this SQL's plan under, if it is a prepared query's. */
export function preparedStatementName(sqlText: string): string | undefined {
  return statementNames.get(sqlText);
}

/**
 * A query that Kysely builds and compiles once instead of on every call. Building and compiling
 * took a tenth of the relay's CPU per sign-in (`npm run bench -- --cpu-prof`); the few statements
 * on the sign-in path are prepared with this.
 *
 * `build` receives placeholders in place of its arguments and must pass them into the query as
 * they are (no `toLowerCase()`, no arithmetic): each call then binds the real arguments where
 * the placeholders were. Preparing throws if a placeholder went missing or was transformed.
 * Values that change the shape of the SQL need a prepared query per shape. The compiled query's
 * id is reused across calls, which is fine while no Kysely plugin keys state on it (none is used).
 */
export function preparedQuery<Args extends unknown[], Row>(
  db: Kysely<any>,
  build: (...args: Args) => Compilable<Row>,
  /** How many arguments; needed when `build` takes a rest parameter. */
  arity: number = build.length,
): (...args: Args) => Promise<QueryResult<Row>> {
  const placeholders = Array.from({ length: arity }, (_, index) => placeholder(index));
  const argumentIndex = new Map(placeholders.map((text, index) => [text, index]));
  const compiled = build(...(placeholders as Args)).compile();
  const slots = compiled.parameters.map((parameter) => {
    if (typeof parameter !== 'string' || !parameter.toLowerCase().includes(MARKER.toLowerCase())) return { constant: parameter };
    const index = argumentIndex.get(parameter);
    if (index === undefined) throw new Error(`preparedQuery: an argument was transformed inside the query (${compiled.sql})`);
    return { argument: index };
  });
  for (let index = 0; index < arity; index += 1) {
    if (!slots.some((slot) => slot.argument === index))
      throw new Error(`preparedQuery: argument ${index} is not a query parameter (${compiled.sql})`);
  }
  if (!statementNames.has(compiled.sql)) statementNames.set(compiled.sql, `countersign_${statementNames.size + 1}`);
  return (...args) => {
    const parameters = slots.map((slot) => (slot.argument === undefined ? slot.constant : args[slot.argument]));
    return db.executeQuery<Row>({ ...compiled, parameters });
  };
}
