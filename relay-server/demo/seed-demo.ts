import { DEFAULT_POLICY } from '../../protocol/messages.ts';
import type { Clock } from '../clock.ts';
import { hashPassword } from '../security/passwords.ts';
import type { Store } from '../store/store.ts';
import { seedDemoApps } from './demo-apps.ts';

/** The demo accounts of README.md and docs/contracts.md; created once, never overwritten. Each one's email is its UPN. */
export const DEMO_USERS = [
  { upn: 'alice@demo.test', displayName: 'Alice Example', password: 'countersign-demo', groups: ['staff'], isAdmin: false },
  { upn: 'bob@demo.test', displayName: 'Bob Example', password: 'countersign-demo', groups: ['staff', 'contractors'], isAdmin: false },
  { upn: 'admin@demo.test', displayName: 'Demo Admin', password: 'countersign-admin', groups: ['admins'], isAdmin: true },
] as const;

/**
 * The demo's push budget per user and client in 10 minutes. The default (5) is spent after about six tries of the
 * demo, each with a retry or two; trying it out should not end in "Too many sign-in requests".
 */
export const DEMO_PUSHES_PER_10_MIN = 30;

export async function seedDemo(store: Store, clock: Clock): Promise<void> {
  for (const demo of DEMO_USERS) {
    const existing = await store.users.byUpn(demo.upn);
    // A demo database from before users had an email gets it once.
    if (existing && existing.email === null) await store.users.update(existing.id, { email: demo.upn }, clock.now());
    if (existing) continue;
    await store.users.create(
      {
        upn: demo.upn,
        displayName: demo.displayName,
        email: demo.upn,
        passwordHash: await hashPassword(demo.password),
        isAdmin: demo.isAdmin,
        groups: [...demo.groups],
      },
      clock.now(),
    );
  }
  await seedDemoPolicy(store, clock);
  await seedDemoApps(store, clock.now());
}

/** The default policy with the demo's larger push budget, saved only while no administrator has saved one. */
async function seedDemoPolicy(store: Store, clock: Clock): Promise<void> {
  const saved = await store.db.selectFrom('policy').select('id').where('id', '=', 'default').executeTakeFirst();
  if (saved) return;
  await store.policy.put({ ...structuredClone(DEFAULT_POLICY), maxPushesPer10Min: DEMO_PUSHES_PER_10_MIN }, clock.now());
}
