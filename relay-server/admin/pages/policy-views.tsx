/** @jsxImportSource hono/jsx */
import { luckyGuessChance, MAX_DIGITS, MIN_DIGITS } from '../../../protocol/number-match.ts';
import { CsrfField, Notice } from '../../pages/layout.tsx';
import { AdminLayout, FieldError, type AdminViewer, type FieldErrors } from './admin-layout.tsx';
import type { PolicyFormValues } from './policy-form.ts';

type Section = { values: PolicyFormValues; errors: FieldErrors };
const invalid = (errors: FieldErrors, field: string) => (errors[field] ? 'true' : undefined);

export function luckyGuessText(mode: 'type' | 'choose', digits: number): string {
  return `Chance of a lucky guess: 1 in ${Math.round(1 / luckyGuessChance(mode, digits)).toLocaleString('en-US')}`;
}

/** Every mode and digit count's sentence, keyed "type:4": pages/assets/admin.js shows them as the admin edits. */
const LUCKY_GUESS_TEXTS = JSON.stringify(
  Object.fromEntries(
    (['type', 'choose'] as const).flatMap((mode) =>
      Array.from({ length: MAX_DIGITS - MIN_DIGITS + 1 }, (_, index) => [
        `${mode}:${MIN_DIGITS + index}`,
        luckyGuessText(mode, MIN_DIGITS + index),
      ]),
    ),
  ),
);

export function PolicyPage(props: {
  viewer: AdminViewer;
  values: PolicyFormValues;
  errors: FieldErrors;
  saved?: boolean;
  groups: string[];
}) {
  const { values, errors } = props;
  return (
    <AdminLayout title="Authentication methods policy" viewer={props.viewer} current="/admin/policy">
      <h1>Authentication methods policy</h1>
      <p class="muted">Who may sign in with an authenticator approval, how numbers are matched, and the limits against push fatigue.</p>
      {props.saved ? (
        <Notice kind="ok">
          <p>Policy saved. It applies to the next sign-in request.</p>
        </Notice>
      ) : null}
      {Object.keys(errors).length > 0 ? (
        <Notice kind="error">
          <p>The policy was not saved. Fix the fields marked below.</p>
        </Notice>
      ) : null}
      <form method="post" action="/admin/policy" data-testid="policy-form" novalidate>
        <CsrfField token={props.viewer.csrf} />
        <label class="check">
          <input type="checkbox" name="enabled" value="1" checked={values.enabled} /> Enable authenticator sign-in
        </label>
        <UsersFieldset values={values} errors={errors} groups={props.groups} />
        <MatchingFieldset values={values} errors={errors} />
        <fieldset>
          <legend>What the authenticator shows</legend>
          <label class="check">
            <input type="checkbox" name="showAppName" value="1" checked={values.showAppName} /> Show the application's name
          </label>
          <label class="check">
            <input type="checkbox" name="showLocation" value="1" checked={values.showLocation} /> Show the location of the sign-in
          </label>
        </fieldset>
        <LimitsFieldset values={values} errors={errors} />
        <div class="actions start">
          <button type="submit" class="button">
            Save policy
          </button>
        </div>
      </form>
    </AdminLayout>
  );
}

function UsersFieldset({ values, errors, groups }: Section & { groups: string[] }) {
  return (
    <fieldset>
      <legend>Users</legend>
      <label class="check">
        <input type="radio" name="targets" value="all" checked={values.targetsAll} /> All users
      </label>
      <label class="check">
        <input type="radio" name="targets" value="groups" checked={!values.targetsAll} /> Selected groups
      </label>
      <label for="targetGroups">Target groups (comma-separated)</label>
      <input id="targetGroups" name="targetGroups" type="text" value={values.targetGroups} aria-invalid={invalid(errors, 'targets')} />
      <FieldError errors={errors} field="targets" />
      <label for="excludeGroups">Excluded groups (comma-separated)</label>
      <input
        id="excludeGroups"
        name="excludeGroups"
        type="text"
        value={values.excludeGroups}
        aria-invalid={invalid(errors, 'excludeGroups')}
      />
      <FieldError errors={errors} field="excludeGroups" />
      <p class="field-hint">Known groups: {groups.length > 0 ? groups.join(', ') : 'none yet'}.</p>
    </fieldset>
  );
}

function MatchingFieldset({ values, errors }: Section) {
  const digits = Number(values.digits);
  const validDigits = Number.isInteger(digits) && digits >= MIN_DIGITS && digits <= MAX_DIGITS;
  return (
    <fieldset>
      <legend>Sign-in mode and number matching</legend>
      <label for="mode">Authentication mode</label>
      <select id="mode" name="mode" aria-invalid={invalid(errors, 'mode')}>
        <option value="any" selected={values.mode === 'any'}>
          Any: passwordless, or approval after a password
        </option>
        <option value="push" selected={values.mode === 'push'}>
          Push: approval as a second factor after a password
        </option>
        <option value="passwordless" selected={values.mode === 'passwordless'}>
          Passwordless: approval instead of a password
        </option>
      </select>
      <FieldError errors={errors} field="mode" />
      <div class="grid-2">
        <div>
          <label for="match-mode">Number matching</label>
          <select id="match-mode" name="matchMode" aria-invalid={invalid(errors, 'match.mode')}>
            <option value="type" selected={values.matchMode === 'type'}>
              Type the number shown
            </option>
            <option value="choose" selected={values.matchMode === 'choose'}>
              Choose it from three
            </option>
          </select>
          <FieldError errors={errors} field="match.mode" />
        </div>
        <div>
          <label for="match-digits">Digits (2 to 6)</label>
          <input
            id="match-digits"
            name="digits"
            type="number"
            min={2}
            max={6}
            step={1}
            value={values.digits}
            aria-invalid={invalid(errors, 'match.digits')}
          />
          <FieldError errors={errors} field="match.digits" />
        </div>
      </div>
      <p class="field-hint" id="lucky-guess" data-testid="lucky-guess" data-chances={LUCKY_GUESS_TEXTS} aria-live="polite">
        {validDigits ? luckyGuessText(values.matchMode === 'choose' ? 'choose' : 'type', digits) : ''}
      </p>
    </fieldset>
  );
}

const LIMITS = [
  { field: 'requestTtlSeconds', label: 'Request lifetime (seconds, 30 to 600)', min: 30, max: 600 },
  { field: 'maxPushesPer10Min', label: 'Push budget per user per 10 minutes', min: 1, max: 1000 },
  { field: 'maxUnfamiliarPushesPerHour', label: 'Pushes from unknown places per user per hour', min: 1, max: 10_000 },
  { field: 'lockoutAfterFailures', label: 'Lock pushes after this many failures', min: 1, max: 1000 },
] as const;

function LimitsFieldset({ values, errors }: Section) {
  return (
    <fieldset>
      <legend>Limits</legend>
      <div class="grid-2">
        {LIMITS.map(({ field, label, min, max }) => (
          <div>
            <label for={field}>{label}</label>
            <input id={field} name={field} type="number" min={min} max={max} value={values[field]} aria-invalid={invalid(errors, field)} />
            <FieldError errors={errors} field={field} />
          </div>
        ))}
      </div>
      <p class="field-hint" data-testid="unfamiliar-pushes-hint">
        All the pushes a user gets in an hour from browsers they have not signed in from before, cancelled ones included; no single place
        may send more than a quarter of them. The user's own browsers, and signing in with a code, are never held back by it.
      </p>
    </fieldset>
  );
}
