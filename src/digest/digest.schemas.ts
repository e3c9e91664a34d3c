import { z } from 'zod';
import { blankToUndefined } from '../http/fields.js';
import { isoWeekPattern } from './iso-week.js';

/** "2026-W48"; also what <input type="week"> sends. Blank means the manager's current week. */
const isoWeekField = z.preprocess(
  blankToUndefined,
  z.string().regex(isoWeekPattern, 'Use a week like 2026-W48').optional(),
);

/** manager_id is read separately: a malformed id is "not found", like any other id. */
export const digestQuerySchema = z.object({ week: isoWeekField });

export const weekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** The days and hours a weekly email (the digest, the rep's week) can be sent at: the settings form's choices. */
export const sendTimeChoices = {
  days: weekdays.map((name, index) => ({ value: index + 1, name })),
  hours: Array.from({ length: 24 }, (_, hour) => ({ value: hour, label: `${String(hour).padStart(2, '0')}:00` })),
};

export const wholeNumber = (min: number, max: number, message: string) =>
  z.preprocess(blankToUndefined, z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).optional());

/** The digest part of the settings form; absent fields are left as they are. */
export const digestSettingsFields = {
  digest_day: wholeNumber(1, 7, 'Choose a day of the week'),
  digest_hour: wholeNumber(0, 23, 'Choose an hour from 0 to 23'),
  digest_opt_out: z.preprocess(blankToUndefined, z.enum(['0', '1'], { error: 'Choose whether to get the digest' }).transform(Number).optional()),
};
