import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../relay-server/store/migrations.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import { preparedQuery } from '../../../relay-server/store/prepared-query.ts';

describe('preparedQuery', () => {
  const db = openSqlite(':memory:');
  afterEach(async () => {
    await db.deleteFrom('users').execute();
  });

  async function addUser(id: string, failures: number) {
    await db
      .insertInto('users')
      .values({
        id,
        upn: id,
        upn_key: id,
        display_name: id.toUpperCase(),
        password_hash: null,
        is_admin: 0,
        push_blocked: 0,
        failure_count: failures,
        locked_until: null,
        created_at: 0,
      })
      .execute();
  }

  it('binds each call’s arguments where the placeholders were and keeps the constants', async () => {
    await migrateToLatest(db);
    await addUser('ann', 0);
    await addUser('bob', 2);
    await addUser('cy', 2);
    const byFailures = preparedQuery(db, (failures: number, notId: string) =>
      db
        .selectFrom('users')
        .select('display_name')
        .where('failure_count', '=', failures)
        .where('id', '!=', notId)
        .where('is_admin', '=', 0)
        .orderBy('id'),
    );
    expect((await byFailures(2, 'bob')).rows).toEqual([{ display_name: 'CY' }]);
    expect((await byFailures(0, 'bob')).rows).toEqual([{ display_name: 'ANN' }]);
    expect((await byFailures(2, 'nobody')).rows.map((row) => row.display_name)).toEqual(['BOB', 'CY']);
  });

  it('refuses a query where an argument was transformed or left out', () => {
    expect(() => preparedQuery(db, (id: string) => db.selectFrom('users').selectAll().where('id', '=', id.toLowerCase()))).toThrow(
      /transformed/,
    );
    expect(() => preparedQuery(db, (id: string) => db.selectFrom('users').selectAll().where('id', '=', `${id}-x`))).toThrow(/transformed/);
    expect(() => preparedQuery(db, (_id: string) => db.selectFrom('users').selectAll())).toThrow(/argument 0/);
  });
});
