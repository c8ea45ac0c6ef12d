import type { FieldErrors } from './admin-layout.tsx';

/** "a, b ,c" as ['a', 'b', 'c']: the comma-separated group fields. */
export const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** A whole number typed in a form, or NaN so the schema names the field. */
export const formInteger = (value: string | undefined): number =>
  value !== undefined && /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : Number.NaN;

/** The first field a schema rejects, as the form shows it. */
export function fieldErrors(result: { ok: false; field: string; message: string }): FieldErrors {
  const field = result.field.replace(/\.\d+$/, '');
  return { [field]: result.message.replace(/^[\w.]+ /, 'This field ') };
}

export const hasErrors = (errors: FieldErrors): boolean => Object.keys(errors).length > 0;
