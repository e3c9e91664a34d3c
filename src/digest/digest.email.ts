import path from 'node:path';
import type { OutgoingMail } from '../mail/mailer.js';
import { handlebars, viewsFolder } from '../views/setup.js';
import type { CompanyBranding } from '../company/company.service.js';
import { digestHelpers } from './digest.helpers.js';
import type { Digest } from './digest.service.js';

// The email is rendered straight from its templates, never inside the page layout.

const render = (template: string, data: Record<string, unknown>) => handlebars.render(path.join(viewsFolder, 'digest', template), data, { helpers: digestHelpers });

const logoCid = 'company-logo@buychain';

/** Who the digest's header names: the selling company (Admin → Company), its logo linked as src. */
export const digestIssuer = ({ name, logo }: CompanyBranding, logoSrc: string | undefined) => ({ name, logoSrc: logo ? logoSrc : undefined });

/** The digest as a message to its manager: HTML and plain-text parts from the same data; the logo travels inside it. */
export async function renderDigestEmail(digest: Digest, branding: CompanyBranding): Promise<OutgoingMail> {
  const data: Record<string, unknown> = { ...digest, issuer: digestIssuer(branding, `cid:${logoCid}`) };
  const [html, text] = await Promise.all([render('email-html.hbs', data), render('email-text.hbs', data)]);
  const inlineImages = branding.logo
    ? [{ cid: logoCid, filename: branding.logo.contentType === 'image/png' ? 'logo.png' : 'logo.svg', contentType: branding.logo.contentType, content: Buffer.from(branding.logo.base64, 'base64') }]
    : undefined;
  return { to: digest.manager.email, subject: digest.subject, html, text: tidyText(text), inlineImages };
}

/** Templates leave runs of blank lines where empty sections were; one is enough. */
const tidyText = (text: string) => `${text.replace(/\n{3,}/g, '\n\n').trim()}\n`;
