import path from 'node:path';
import type { OutgoingMail } from '../mail/mailer.js';
import { handlebars, viewsFolder } from '../views/setup.js';
import { digestHelpers } from './digest.helpers.js';
import type { Digest } from './digest.service.js';

// The email is rendered straight from its templates, never inside the page layout.

const render = (template: string, digest: Digest) =>
  handlebars.render(path.join(viewsFolder, 'digest', template), digest, { helpers: digestHelpers });

/** The digest as a message to its manager: HTML and plain-text parts from the same data. */
export async function renderDigestEmail(digest: Digest): Promise<OutgoingMail> {
  const [html, text] = await Promise.all([render('email-html.hbs', digest), render('email-text.hbs', digest)]);
  return { to: digest.manager.email, subject: digest.subject, html, text: tidyText(text) };
}

/** Templates leave runs of blank lines where empty sections were; one is enough. */
const tidyText = (text: string) => `${text.replace(/\n{3,}/g, '\n\n').trim()}\n`;
