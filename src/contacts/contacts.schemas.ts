import { z } from 'zod';
import {
  asArray,
  birthday,
  blankToUndefined,
  clearableDate,
  clearableEntityId,
  clearableText,
  email,
  optionalDate,
  optionalEntityId,
  optionalText,
  requiredText,
} from '../http/fields.js';
import { contactRoles, departureNotices, preferredChannels } from './contacts.table.js';

const roles = z.preprocess(
  asArray,
  z.array(z.enum(contactRoles, { error: `Roles are ${contactRoles.join(', ')}` })).transform((list) => [...new Set(list)]),
);

const channel = z.enum(preferredChannels, { error: `Choose one of ${preferredChannels.join(', ')}` });

export const newContactSchema = z.object({
  name: requiredText('Name'),
  title: optionalText(200),
  email: z.preprocess(blankToUndefined, email.optional()),
  phone: optionalText(50),
  roles: roles.default([]),
  reports_to_contact_id: optionalEntityId,
  started_in_role_on: optionalDate,
  birthday: z.preprocess(blankToUndefined, birthday.optional()),
  preferred_channel: z.preprocess(blankToUndefined, channel.optional()),
  preferred_time: optionalText(100),
});

/**
 * A new contact as a person adds one (form, API, "met someone new"): `allow_duplicate` adds a
 * namesake of someone already at the account on purpose (see duplicates.ts).
 */
export const newContactRequestSchema = newContactSchema.extend({
  allow_duplicate: z.preprocess((value) => value === true || value === 'true' || value === '1' || value === 'on', z.boolean()).optional(),
});

/** PATCH and the edit form: an absent field stays as it is; null or "" clears it. */
export const contactPatchSchema = z.object({
  name: requiredText('Name').optional(),
  title: clearableText(200),
  email: z.preprocess((value) => (value === '' ? null : value), email.nullable().optional()),
  phone: clearableText(50),
  roles: roles.optional(),
  reports_to_contact_id: clearableEntityId,
  started_in_role_on: clearableDate,
  birthday: z.preprocess((value) => (value === '' ? null : value), birthday.nullable().optional()),
  preferred_channel: z.preprocess((value) => (value === '' ? null : value), channel.nullable().optional()),
  preferred_time: clearableText(100),
  status: z.enum(['active', 'leaving'], { error: 'Status is active or leaving (use the departure flow for left)' }).optional(),
  leaving_on: clearableDate,
  notice: z.enum(departureNotices, { error: 'Notice is told_in_advance or surprise' }).nullable().optional(),
});

/** An edit from the form or the API: the patch and, optionally, the version the editor started from. */
export const contactEditSchema = contactPatchSchema.extend({
  version: z.preprocess(
    (value) => (typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value),
    z.number({ error: 'Send the version you read, a whole number' }).int('Send the version you read, a whole number').positive('Send the version you read, a whole number').optional(),
  ),
});

export type NewContactInput = z.output<typeof newContactSchema>;
export type ContactPatch = z.output<typeof contactPatchSchema>;
