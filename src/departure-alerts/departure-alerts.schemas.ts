import { z } from 'zod';
import { blankToUndefined } from '../http/fields.js';

/** The departure-alert part of the settings form (managers); absent: left as it is. */
export const departureAlertSettingsFields = {
  departure_alerts_opt_out: z.preprocess(blankToUndefined, z.enum(['0', '1'], { error: 'Choose whether to get departure alerts' }).transform(Number).optional()),
};
