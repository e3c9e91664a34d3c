import { z } from 'zod';
import { blankToUndefined, optionalDate, optionalEntityId, optionalText, requiredText } from '../http/fields.js';
import { accountStatuses } from './accounts.table.js';

const cadence = z.preprocess(
  blankToUndefined,
  z.coerce
    .number({ error: 'Enter a number of days' })
    .int('Enter a whole number of days')
    .min(7, 'At least every 7 days')
    .max(365, 'At most every 365 days')
    .optional(),
);

export const newAccountSchema = z.object({
  name: requiredText('Name'),
  status: z.preprocess(blankToUndefined, z.enum(accountStatuses, { error: 'Choose prospect, customer or former' }).optional()),
  meeting_cadence_days: cadence,
  owner_id: optionalEntityId,
  notes: optionalText(10000),
  customer_since: optionalDate,
});

export const accountPatchSchema = newAccountSchema.partial().extend({
  name: requiredText('Name').optional(),
  // Emptying the notes box clears them to '' (the column is never null), unlike an absent field.
  notes: z.preprocess((value) => (value === null ? '' : value), z.string().trim().max(10000, 'Keep it under 10000 characters').optional()),
  archived: z.preprocess((value) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value), z.boolean().optional()),
});

export type NewAccountInput = z.output<typeof newAccountSchema>;
export type AccountPatch = z.output<typeof accountPatchSchema>;
