import path from 'node:path';
import type { OutgoingMail } from '../mail/mailer.js';
import { handlebars, viewsFolder } from '../views/setup.js';
import { repWeekHelpers } from './rep-week.helpers.js';
import type { RepWeek } from './rep-week.service.js';

// Rendered straight from its templates, never inside the page layout, like the team digest.

const render = (template: string, repWeek: RepWeek) => handlebars.render(path.join(viewsFolder, 'rep-week', template), repWeek, { helpers: repWeekHelpers });

/** The week as a message to its rep: HTML and plain-text parts from the same data. */
export async function renderRepWeekEmail(repWeek: RepWeek): Promise<OutgoingMail> {
  const [html, text] = await Promise.all([render('email-html.hbs', repWeek), render('email-text.hbs', repWeek)]);
  return { to: repWeek.user.email, subject: repWeek.subject, html, text: `${text.replace(/\n{3,}/g, '\n\n').trim()}\n` };
}
