import { z } from 'zod';
import { email, optionalEntityId, requiredText, timeZone } from '../http/fields.js';
import { tokenLifetimes } from './tokens.js';
import { userRoles } from './users.table.js';
import { digestSettingsFields } from '../digest/digest.schemas.js';
import { weekEmailSettingsFields } from '../rep-week/rep-week.schemas.js';
import { departureAlertSettingsFields } from '../departure-alerts/departure-alerts.schemas.js';

export const loginSchema = z.object({
  email: z.preprocess((value) => (typeof value === 'string' ? value.trim().toLowerCase() : value), z.string().min(1, 'Enter your email')),
  password: z.string({ error: 'Enter your password' }).min(1, 'Enter your password'),
});

export const password = z.string().min(10, 'Use at least 10 characters').max(200);

export const newUserSchema = z.object({
  email,
  name: requiredText('Name'),
  role: z.enum(userRoles, { error: 'Choose rep, manager or admin' }),
  manager_id: optionalEntityId,
  time_zone: z.preprocess((value) => (value === '' || value === undefined ? 'UTC' : value), timeZone),
  password,
});

export const settingsSchema = z.object({
  name: requiredText('Name'),
  time_zone: timeZone,
  ...digestSettingsFields,
  ...weekEmailSettingsFields,
  ...departureAlertSettingsFields,
});
export type SettingsInput = z.output<typeof settingsSchema>;

// Not `name`: the settings page has the person's own Name field too.
export const newTokenSchema = z.object({
  token_name: requiredText('Token name', 80),
  token_lifetime_days: z
    .preprocess((value) => (value === '' || value === undefined ? undefined : value), z.enum(tokenLifetimes.map(String) as [string, ...string[]], { error: 'Choose how long the token works' }).optional())
    .transform((value) => (value === undefined ? undefined : Number(value))),
});

/** A new password typed twice, so a typo does not lock the person out. */
const newPasswordFields = {
  new_password: z.string({ error: 'Choose a new password' }).pipe(password),
  new_password_again: z.string({ error: 'Type the new password again' }),
};
const samePasswordTwice = (input: { new_password: string; new_password_again: string }, context: z.RefinementCtx) => {
  if (input.new_password !== input.new_password_again)
    context.addIssue({ code: 'custom', path: ['new_password_again'], message: 'The two new passwords differ' });
};

export const passwordChangeSchema = z
  .object({ current_password: z.string({ error: 'Enter your current password' }).min(1, 'Enter your current password'), ...newPasswordFields })
  .superRefine(samePasswordTwice);

export const passwordResetSchema = z.object({ token: z.string().min(1).max(100), ...newPasswordFields }).superRefine(samePasswordTwice);

export const signOutEverywhereSchema = z.object({ revoke_tokens: z.enum(['1']).optional() });

export const deleteUserSchema = z.object({ successor_id: optionalEntityId });
