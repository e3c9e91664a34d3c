import { z } from 'zod';
import { departureNotices } from '../contacts/contacts.table.js';
import { asArray, blankToUndefined, isoDate, optionalEntityId, optionalText } from '../http/fields.js';
import { newContactSchema } from '../contacts/contacts.schemas.js';

const leftOnMissing = 'Choose the day they leave (a date after today) or the day they left (today or earlier)';

export const departureSchema = z.object({
  // Required, with no default: a date after today means they are leaving, today or earlier that they have left.
  left_on: z.string({ error: leftOnMissing }).min(1, leftOnMissing).pipe(isoDate),
  notice: z.enum(departureNotices, { error: 'Did they tell you in advance, or was it a surprise?' }),
  destination: optionalText(200),
  replacement_contact_id: optionalEntityId,
  /** A replacement met for the first time, created in the same step. */
  new_replacement: z.preprocess(
    (value) => (value && typeof value === 'object' && blankToUndefined((value as { name?: unknown }).name) === undefined ? undefined : value),
    newContactSchema.optional(),
  ),
  /**
   * The successor takes the leaver's reports-to line, so the chart links them in. The form sends
   * a "0" marker and, ticked (the default), a "1"; the API sends a boolean. Absent: left as it is.
   */
  successor_takes_reporting_line: z.preprocess(
    (value) => (value === undefined || typeof value === 'boolean' ? value : asArray(value).includes('1')),
    z.boolean().optional(),
  ),
});

export type DepartureInput = z.output<typeof departureSchema>;
