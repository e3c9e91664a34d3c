import { DateTime } from 'luxon';
import { z } from 'zod';

// Reusable zod field schemas shared by forms and the API.

/** Forms send "" for an empty optional field: treat it as absent. */
export const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : typeof value === 'string' ? value.trim() : value;

export const optionalText = (max = 2000) =>
  z.preprocess(blankToUndefined, z.string().max(max, `Keep it under ${max} characters`).optional());

/** Optional text that PATCH may clear with null or "". */
export const clearableText = (max = 2000) =>
  z.preprocess(
    (value) => (value === null ? null : blankToUndefined(value) ?? (value === '' ? null : undefined)),
    z.string().max(max, `Keep it under ${max} characters`).nullable().optional(),
  );

export const requiredText = (label: string, max = 200) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.trim() : value),
    z
      .string({ error: `${label} is required` })
      .min(1, `${label} is required`)
      .max(max, `Keep it under ${max} characters`),
  );

export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-11-23')
  .refine((value) => DateTime.fromISO(value).isValid, 'Not a real date');

export const optionalDate = z.preprocess(blankToUndefined, isoDate.optional());
export const clearableDate = z.preprocess(
  (value) => (value === '' ? null : value),
  isoDate.nullable().optional(),
);

/** Ids are opaque to clients: accept them as numbers or numeric strings. */
export const entityId = z.preprocess(
  (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
  z.number({ error: 'Not a known id' }).int('Not a known id').positive('Not a known id'),
);
export const optionalEntityId = z.preprocess(blankToUndefined, entityId.optional());
export const clearableEntityId = z.preprocess((value) => (value === '' ? null : value), entityId.nullable().optional());

/** Parses a route parameter; anything that is not a positive integer is simply not found. */
export function parseIdParam(value: string | string[] | undefined): number | null {
  return typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : null;
}

export const timeZone = z
  .string()
  .refine((zone) => DateTime.local().setZone(zone).isValid, 'Not a time zone we know (try Europe/Paris)');

/** "MM-DD" or "YYYY-MM-DD"; 02-29 is allowed without a year. */
export const birthday = z
  .string()
  .regex(/^(\d{4}-)?\d{2}-\d{2}$/, 'Use MM-DD or YYYY-MM-DD')
  .refine((value) => {
    const withYear = value.length === 5 ? `2000-${value}` : value;
    return DateTime.fromISO(withYear).isValid;
  }, 'Not a real date');

export const email = z.preprocess(
  (value) => (typeof value === 'string' ? value.trim().toLowerCase() : value),
  z.email('Enter an email address like name@company.com'),
);

/** Checkbox groups and multi-selects arrive as a string, an array, or not at all. */
export const asArray = (value: unknown) => (value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value]);
