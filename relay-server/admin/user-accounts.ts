import type { Clock } from '../clock.ts';
import { ApiError } from '../api-error.ts';
import { hashPassword } from '../security/passwords.ts';
import type { UserRow } from '../store/schema.ts';
import { isActiveDevice } from '../store/devices-store.ts';
import type { Store } from '../store/store.ts';

export async function createUserAccount(
  store: Store,
  clock: Clock,
  input: {
    upn: string;
    displayName: string;
    email?: string | undefined;
    password?: string | undefined;
    groups?: string[] | undefined;
    isAdmin?: boolean;
  },
): Promise<UserRow> {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const user = await store.users.create(
    {
      upn: input.upn,
      displayName: input.displayName,
      email: input.email ?? null,
      passwordHash,
      isAdmin: input.isAdmin ?? false,
      groups: input.groups ?? [],
    },
    clock.now(),
  );
  if (!user) throw new ApiError(409, 'user_exists', 'A user with this UPN already exists.');
  return user;
}

/** The admin view of one user (docs/protocol.md section 7), plus the flags the admin pages show. */
export async function userDetails(store: Store, user: UserRow) {
  const [groups, devices, failures] = await Promise.all([
    store.users.groupsOf(user.id),
    store.devices.ofUser(user.id),
    store.users.pushFailureSummary(user.id),
  ]);
  const pinLocked = await store.pin.locked(devices.map((device) => device.id));
  return {
    userId: user.id,
    upn: user.upn,
    displayName: user.display_name,
    email: user.email,
    groups,
    isAdmin: user.is_admin === 1,
    hasPassword: user.password_hash !== null,
    atRisk: user.push_blocked === 1,
    // Failures and locks are kept per client address (docs/protocol.md section 6): summed here, with
    // the latest lock any address is under.
    failureCount: failures.failureCount,
    lockedUntil: failures.lockedUntil,
    // `active: false` marks a device paired under protocol revision 1: listed and removable, but
    // it can no longer connect or approve until it is added again.
    devices: devices.map((device) => ({
      deviceId: device.id,
      name: device.name,
      createdAt: device.created_at,
      lastUsedAt: device.last_used_at,
      active: isActiveDevice(device),
      // Section 4a: 10 PIN failures in 30 days; WebAuthn approvals still work, pairing again restores the PIN.
      pinLocked: pinLocked.has(device.id),
    })),
  };
}

export type UserDetails = Awaited<ReturnType<typeof userDetails>>;
