import type { ChallengeMessage, Match, Policy } from '../../protocol/messages.ts';
import type { SigninRow, UserRow } from '../store/schema.ts';

/** The challenge one device sees for one request; context follows the policy's switches. */
export function challengeMessage(
  row: SigninRow,
  deviceId: string,
  user: Pick<UserRow, 'upn' | 'display_name'>,
  policy: Policy,
): ChallengeMessage {
  const digits = row.digits ?? 2;
  // A sign-in by code: the person typed the code into the device, so no number is shown (section 5).
  const match: Match =
    row.match_mode === 'code'
      ? { mode: 'code' }
      : row.match_mode === 'choose' && row.choices
        ? { mode: 'choose', digits, choices: JSON.parse(row.choices) as [string, string, string] }
        : { mode: 'type', digits };
  return {
    type: 'challenge',
    requestId: row.id,
    deviceId,
    account: { upn: user.upn, displayName: user.display_name },
    app: policy.showAppName && row.app_name ? { name: row.app_name } : null,
    context: { ip: row.ip, location: policy.showLocation ? row.location : null, browser: row.browser, os: row.os },
    match,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
