import { z } from 'zod';
import { blankToUndefined } from '../http/fields.js';
import { digestQuerySchema, wholeNumber } from '../digest/digest.schemas.js';

/** ?week=2026-W48 (blank: the viewer's current week), the same field as the digest's. */
export const repWeekQuerySchema = digestQuerySchema;

/** The rep's-week part of the settings form; absent fields are left as they are. */
export const weekEmailSettingsFields = {
  week_email_day: wholeNumber(1, 7, 'Choose a day of the week'),
  week_email_hour: wholeNumber(0, 23, 'Choose an hour from 0 to 23'),
  week_email_opt_out: z.preprocess(blankToUndefined, z.enum(['0', '1'], { error: 'Choose whether to get your week by email' }).transform(Number).optional()),
};
