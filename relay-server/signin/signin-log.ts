import { signinReasonWords } from '../../protocol/signin-reasons.ts';
import type { SigninRow } from '../store/schema.ts';

/** One row of the sign-in log as the admin API shows it (section 7). */
export function signinLogEntry(row: SigninRow) {
  return {
    requestId: row.id,
    upn: row.upn,
    app: row.app_name,
    ip: row.ip,
    location: row.location,
    method: row.method,
    status: row.status,
    reason: row.reason,
    reasonText: signinReasonWords(row.reason),
    deviceId: row.device_id,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}
