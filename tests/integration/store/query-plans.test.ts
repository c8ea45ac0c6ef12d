import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../relay-server/store/migrations.ts';
import { openSqlite } from '../../../relay-server/store/open-sqlite.ts';
import type { NewSigninRow } from '../../../relay-server/store/schema.ts';
import { storeOver } from '../../../relay-server/store/store.ts';

/**
 * The sign-in log only grows, so what runs every second (the expiry sweep) or on every sign-in
 * must reach its rows through an index, never by reading the whole table. Checked on the SQL the
 * store really runs, with SQLite's EXPLAIN QUERY PLAN.
 */
describe('queries over the sign-in log', () => {
  it('use an index for the expiry sweep, the push budget, supersede, pending challenges and the log', async () => {
    const statements: string[] = [];
    const db = openSqlite(':memory:', { log: (event) => void statements.push(event.query.sql) });
    await migrateToLatest(db);
    const store = storeOver(db);
    const user = await store.users.create({ upn: 'plan@example.test', displayName: 'Plan', passwordHash: null }, 0);
    const row = (id: string): NewSigninRow & { user_id: string } => ({
      id,
      user_id: user!.id,
      upn: 'plan@example.test',
      app_id: null,
      app_name: null,
      ip: '127.0.0.1',
      location: null,
      browser: 'b',
      os: 'o',
      method: 'passwordless',
      number: '12',
      match_mode: 'type',
      digits: 2,
      choices: null,
      browser_token_hash: 'h',
      status: 'pending',
      reason: null,
      device_id: null,
      created_at: 1,
      expires_at: 2,
      decided_at: null,
      completed_at: null,
      client_key: '127.0.0.1',
    });
    statements.length = 0;
    await store.signins.expireDue(10);
    await store.users.pushTarget({ upn: 'plan@example.test' }, { since: 0, hourSince: 0 }, '127.0.0.1');
    await store.signins.openRequest(row('r1'));
    await store.signins.openRequest(row('r2')); // supersedes r1
    await store.signins.openRequest({ ...row('r3'), client_key: '192.0.2.1' }); // beside r2, in the next slot
    await store.signins.oldestPushSince(user!.id, { clientKey: '127.0.0.1' }, 0);
    await store.signins.oldestPushSince(user!.id, { unfamiliarOnly: true, pushesOnly: true }, 0);
    await store.signins.pendingCode(user!.id, '12345678', 0);
    await store.signins.pendingForUsers([user!.id], 0);
    await store.signins.list({ limit: 50 });

    const scans: string[] = [];
    for (const statement of new Set(statements)) {
      if (!/signin_requests/.test(statement) || /^(begin|commit|rollback)/i.test(statement)) continue;
      const plan = await sql.raw(`explain query plan ${statement.replace(/\?/g, 'null')}`).execute(db);
      for (const step of plan.rows as { detail: string }[]) {
        if (/^SCAN signin_requests(?! USING (COVERING )?INDEX)/.test(step.detail)) scans.push(`${step.detail} ← ${statement.slice(0, 90)}`);
      }
    }
    expect(statements.some((statement) => /status = 'pending'/.test(statement))).toBe(true);
    expect(scans).toEqual([]);
    await db.destroy();
  });
});
