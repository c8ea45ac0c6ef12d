import * as v from 'valibot';
import { LIMITS } from './limits.ts';
import { isLoopbackHost } from './loopback-host.ts';
import { DisplayNameSchema, EmailSchema, GroupNameSchema, TimeSchema, UpnSchema } from './messages.ts';

/**
 * The admin API's bodies and answers (docs/protocol.md section 7), and the admin pages' forms, which
 * are the same requests: one home, built from the shared field schemas of messages.ts, so a
 * display name with a newline (which every later challenge for the user would carry to the
 * device, where it fails validation) is refused by every route that takes one. Three bodies stay
 * in messages.ts, which these build on: `CreateUserBody` (`POST /api/v1/admin/users`, also the
 * "Add a user" form), `IssueTapBody` and `PolicySchema` (section 6).
 */

/** A password an admin sets: 8 to 256 characters. */
export const NewPasswordSchema = v.pipe(v.string(), v.minLength(8), v.maxLength(LIMITS.passwordChars));
export const GroupListSchema = v.pipe(v.array(GroupNameSchema), v.maxLength(100));

// ---- Requests ----

/** `PATCH /api/v1/admin/users/{upn}`: any of these; a new password signs the user out everywhere. */
export const UpdateUserBody = v.object({
  displayName: v.optional(DisplayNameSchema),
  /** `null` removes it. */
  email: v.optional(v.nullable(EmailSchema)),
  password: v.optional(NewPasswordSchema),
  groups: v.optional(GroupListSchema),
  isAdmin: v.optional(v.boolean()),
  pushBlocked: v.optional(v.literal(false)),
});

/** The admin user page's "Profile and groups" form. */
export const UserProfileForm = v.object({ displayName: DisplayNameSchema, email: v.nullable(EmailSchema), groups: GroupListSchema });

/** The admin user page's "Reset password" form. */
export const ResetPasswordForm = v.object({ password: NewPasswordSchema });

/** `GET /api/v1/admin/signins?upn=&status=&since=&until=&limit=` (query strings; empty means no filter). */
export const SigninsQuery = v.object({
  upn: v.optional(UpnSchema),
  status: v.optional(v.pipe(v.string(), v.maxLength(32))),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/), v.transform(Number), v.minValue(1), v.maxValue(1000))),
  since: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.transform(Number))),
  until: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.transform(Number))),
});

// ---- Answers (what clients read: extra fields allowed, optional ones may be null) ----

export const CreateUserResponse = v.object({ userId: v.string(), upn: v.string() });
export const AdminUserResponse = v.object({
  userId: v.string(),
  upn: v.string(),
  displayName: v.string(),
  email: v.nullable(v.string()),
  groups: v.array(v.string()),
  devices: v.array(
    v.object({
      deviceId: v.string(),
      name: v.string(),
      createdAt: v.number(),
      lastUsedAt: v.nullish(v.number()),
      pinLocked: v.optional(v.boolean()),
    }),
  ),
});
export const PairingOfferResponse = v.object({ token: v.string(), link: v.string(), expiresAt: TimeSchema });
export const IssueTapResponse = v.object({ code: v.string(), expiresAt: TimeSchema });
export const SigninLogEntry = v.object({
  requestId: v.string(),
  upn: v.string(),
  app: v.nullish(v.string()),
  ip: v.string(),
  location: v.nullish(v.string()),
  method: v.string(),
  status: v.string(),
  reason: v.nullish(v.string()),
  reasonText: v.nullish(v.string()),
  deviceId: v.nullish(v.string()),
  createdAt: v.number(),
  decidedAt: v.nullish(v.number()),
});
export const SigninsResponse = v.object({ signins: v.array(SigninLogEntry) });

export type UpdateUserBody = v.InferOutput<typeof UpdateUserBody>;
export type CreateUserResponse = v.InferOutput<typeof CreateUserResponse>;
export type AdminUserResponse = v.InferOutput<typeof AdminUserResponse>;
export type PairingOfferResponse = v.InferOutput<typeof PairingOfferResponse>;
export type IssueTapResponse = v.InferOutput<typeof IssueTapResponse>;
export type SigninLogEntry = v.InferOutput<typeof SigninLogEntry>;

// ---- Registered apps (docs/protocol.md sections 7 and 9) ----

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** A redirect URI: absolute, https (http only on loopback, for developers), no fragment, no credentials. */
export const RedirectUriSchema = v.pipe(
  v.string(),
  v.maxLength(2048),
  v.check((value) => parsedUrl(value) !== undefined, 'must be an absolute URL'),
  v.check((value) => {
    const url = parsedUrl(value);
    return !url || url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  }, 'must use https (http only on localhost or 127.0.0.1)'),
  v.check((value) => !value.includes('#'), 'must not have a fragment'),
  v.check((value) => {
    const url = parsedUrl(value);
    return !url || (url.username === '' && url.password === '');
  }, 'must not carry a user name or password'),
);

/** `POST /api/v1/admin/apps`, also the admin Apps page's form. */
export const CreateAppBody = v.object({
  name: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(LIMITS.appNameChars),
    v.regex(/^[^\n\r]*$/, 'must be one line'),
    v.trim(),
    v.minLength(1),
  ),
  redirectUris: v.pipe(v.array(RedirectUriSchema), v.minLength(1, 'needs at least one redirect URI'), v.maxLength(10)),
  /** Where RP-initiated logout may send the browser back to (validated like redirect URIs; they never receive codes). */
  postLogoutRedirectUris: v.optional(v.pipe(v.array(RedirectUriSchema), v.maxLength(10)), []),
  /** Back-Channel Logout 1.0: where the relay POSTs a logout token when the person's relay session ends. */
  backchannelLogoutUri: v.optional(v.nullable(RedirectUriSchema), null),
  idTokenAlg: v.optional(v.picklist(['RS256', 'ES256'], 'must be RS256 or ES256'), 'RS256'),
  public: v.optional(v.boolean(), false),
  /** Ask the person once before the app learns who they are (first-party apps need no consent screen). */
  needsConsent: v.optional(v.boolean(), false),
});
export type CreateAppBody = v.InferOutput<typeof CreateAppBody>;

/** A client id: what the relay makes (22 base64url characters) or a demo app's short name. */
export const ClientIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a client id'));
