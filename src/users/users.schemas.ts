import { z } from 'zod';
import { email, optionalEntityId, requiredText, timeZone } from '../http/fields.js';
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
export const tokenNameSchema = z.object({ token_name: requiredText('Token name', 80) });
