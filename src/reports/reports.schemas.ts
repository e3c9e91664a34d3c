import { z } from 'zod';
import { asArray, optionalDate, optionalEntityId } from '../http/fields.js';

export const reportSections = ['summary', 'people', 'timeline', 'issues', 'testimonials'] as const;
export type ReportSection = (typeof reportSections)[number];

/** Personal details of contacts, left out of the report unless the rep ticks them. */
export const personalDetails = ['email', 'phone', 'birthday'] as const;
export type PersonalDetail = (typeof personalDetails)[number];

export const paperSizes = ['a4', 'letter'] as const;
export type PaperSize = (typeof paperSizes)[number];

/**
 * A checkbox group. The form always sends an empty marker value, so "nothing ticked" (the marker
 * alone) differs from "not in the query at all" (a hand-typed or bookmarked URL: the default).
 */
function checkboxes<const Values extends readonly [string, ...string[]]>(values: Values, whenAbsent: Values[number][]) {
  return z.preprocess(
    (value) => (value === undefined ? whenAbsent : asArray(value).filter((item) => item !== '')),
    z.array(z.enum(values, { error: 'Choose from the list' })).transform((list) => [...new Set(list)]),
  );
}

/** US and Canadian readers print on Letter; everyone else on A4. The rep can always choose. */
export const defaultPaperFor = (timeZone: string): PaperSize => (timeZone.startsWith('America/') ? 'letter' : 'a4');

/** The report's options, read from the query string so a printed report can be bookmarked. */
export function reportOptionsSchema(timeZone: string) {
  return z
    .object({
      prepared_for: optionalEntityId,
      from: optionalDate,
      to: optionalDate,
      sections: checkboxes(reportSections, [...reportSections]).refine((list) => list.length > 0, 'Choose at least one section'),
      details: checkboxes(personalDetails, []),
      paper: z.preprocess((value) => value || defaultPaperFor(timeZone), z.enum(paperSizes, { error: 'Choose A4 or US Letter' })),
      /** Empty sections and zero figures are left out (a blank page says nothing) unless asked for. */
      show_empty: z.preprocess((value) => asArray(value).includes('1'), z.boolean()),
    })
    .refine((options) => !options.from || !options.to || options.from <= options.to, {
      path: ['to'],
      message: 'The end date must be on or after the start date',
    });
}

export type ReportOptions = z.output<ReturnType<typeof reportOptionsSchema>>;
