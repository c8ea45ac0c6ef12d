import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';
import { HolderCache } from './holder-cache.ts';
import { RulesCache } from './forward-auth-rules.ts';

/**
 * The forward-auth flow's shared state on one instance: the rules and the cookie handles' holders,
 * each cached briefly in memory (the check runs before every request to every protected app).
 * One per store, so the check, the admin API and the admin page share it: saving rules on this
 * instance shows in the check at once.
 */
export class ForwardAuth {
  readonly rules: RulesCache;
  readonly holders: HolderCache;

  private constructor(store: Store, clock: Clock) {
    this.rules = new RulesCache(store.forwardAuth);
    this.holders = new HolderCache(store.forwardAuth, () => clock.now());
  }

  private static readonly instances = new WeakMap<Store, ForwardAuth>();

  static of(deps: { store: Store; clock: Clock }): ForwardAuth {
    let instance = ForwardAuth.instances.get(deps.store);
    if (!instance) {
      instance = new ForwardAuth(deps.store, deps.clock);
      ForwardAuth.instances.set(deps.store, instance);
    }
    return instance;
  }
}
