import type { Clock } from '../clock.ts';
import { hashPassword } from '../security/passwords.ts';
import type { Store } from '../store/store.ts';

/** The demo accounts of README.md and docs/contracts.md; created once, never overwritten. */
export const DEMO_USERS = [
  { upn: 'alice@demo.test', displayName: 'Alice Example', password: 'countersign-demo', groups: ['staff'], isAdmin: false },
  { upn: 'bob@demo.test', displayName: 'Bob Example', password: 'countersign-demo', groups: ['staff', 'contractors'], isAdmin: false },
  { upn: 'admin@demo.test', displayName: 'Demo Admin', password: 'countersign-admin', groups: ['admins'], isAdmin: true },
] as const;

export async function seedDemo(store: Store, clock: Clock): Promise<void> {
  for (const demo of DEMO_USERS) {
    if (await store.users.byUpn(demo.upn)) continue;
    await store.users.create(
      { upn: demo.upn, displayName: demo.displayName, passwordHash: await hashPassword(demo.password), isAdmin: demo.isAdmin, groups: [...demo.groups] },
      clock.now(),
    );
  }
}
