import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { requireRole } from '../http/auth.js';
import { NotFound } from '../http/errors.js';
import { optionalText } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { uploadedFile } from '../http/multipart.js';
import { parseInput } from '../http/validation.js';
import { getCompanyBranding, saveCompanyLogo, saveCompanyName } from './company.service.js';
import { checkLogo, logoMaxBytes } from './logo.js';

const companyNameSchema = z.object({ name: optionalText(120) });

// An SVG opened on its own is a document: it may show itself, but run nothing and load nothing.
const logoPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

export function companyPages({ db, clock }: AppContext): Router {
  const router = Router();
  router.use('/admin/company', requireRole('admin'));

  const companyPage = async () => {
    const branding = await getCompanyBranding(db);
    return { view: 'company/admin', data: { title: 'Company', branding, values: { name: branding.name ?? '' }, logoMaxKb: logoMaxBytes / 1024 } };
  };

  router.get('/admin/company', async (_req, res) => {
    const page = await companyPage();
    res.render(page.view, page.data);
  });

  router.post('/admin/company', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        const { name } = parseInput(companyNameSchema, req.body);
        await saveCompanyName(db, clock, name ?? null);
        flash(req, name ? `Reports and digests are now issued by ${name}.` : 'Company name removed: reports show the account name alone.');
        res.redirect('/admin/company');
      },
      companyPage,
    );
  });

  router.post('/admin/company/logo', async (req, res) => {
    await handleForm(
      req,
      res,
      async () => {
        await saveCompanyLogo(db, clock, checkLogo(uploadedFile(req.body, 'logo')));
        flash(req, 'Logo saved.');
        res.redirect('/admin/company');
      },
      companyPage,
    );
  });

  router.post('/admin/company/logo/remove', async (req, res) => {
    await saveCompanyLogo(db, clock, null);
    flash(req, 'Logo removed.');
    res.redirect('/admin/company');
  });

  /** The logo for pages of anyone signed in (the report shows it); PNG or a checked SVG, never run. */
  router.get('/company/logo', async (_req, res) => {
    const { logo } = await getCompanyBranding(db);
    if (!logo) throw new NotFound('The company logo');
    res
      .set({ 'Content-Security-Policy': logoPolicy, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'private, max-age=3600' })
      .type(logo.contentType)
      .send(Buffer.from(logo.base64, 'base64'));
  });
  return router;
}
