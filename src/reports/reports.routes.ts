import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Request, type Response, Router } from 'express';
import { historyToPresentTo } from '../playbook/playbook.service.js';
import type { AppContext } from '../app-context.js';
import { accountIdOf } from '../accounts/accounts.routes.js';
import { viewerOf } from '../http/auth.js';
import { HttpError, ValidationFailed } from '../http/errors.js';
import { parseInput } from '../http/validation.js';
import { isChromiumInstalled, sharedChromium } from '../pdf/chromium.js';
import { htmlToPdf } from '../pdf/html-to-pdf.js';
import { projectRoot } from '../project-root.js';
import { defaultPaperFor, paperSizes, personalDetails, reportOptionsSchema, reportSections } from './reports.schemas.js';
import { type ReportAccount, buildAccountReport, getReportAccount, listReportPeople } from './reports.service.js';
import { type CompanyBranding, getCompanyBranding, logoDataUrl } from '../company/company.service.js';

/**
 * Who the report is issued by: the selling company's name and logo (Admin → Company), never the
 * CRM's. The page links the logo; the PDF, which has no network, carries it inline.
 */
const issuerOf = ({ name, logo }: CompanyBranding, inline: boolean) => ({
  name,
  logoSrc: logo ? (inline ? logoDataUrl(logo) : `/company/logo?v=${encodeURIComponent(logo.version)}`) : undefined,
});

const choices = {
  sections: reportSections.map((value) => ({
    value,
    caption: {
      summary: 'At a glance',
      people: 'The people we work with',
      timeline: 'Timeline, month by month',
      issues: 'Service issues and how we resolved them',
      testimonials: 'Testimonials',
    }[value],
  })),
  details: personalDetails.map((value) => ({ value, caption: { email: 'Email addresses', phone: 'Phone numbers', birthday: 'Birthdays' }[value] })),
  papers: paperSizes.map((value) => ({ value, caption: { a4: 'A4', letter: 'US Letter' }[value] })),
};

const pdfUnavailable =
  'PDF download is not available on this server because Chromium is not installed. Printing from your browser (Print, then Save as PDF) gives the same document.';

const stylesheetFile = path.join(projectRoot, 'public/report.css');
let stylesheet: string | undefined;
/** The PDF page has no network, so the stylesheet goes inline; read once per process. */
const inlineStylesheet = () => (stylesheet ??= readFileSync(stylesheetFile, 'utf8'));

const renderToString = (res: Response, view: string, data: object) =>
  new Promise<string>((resolve, reject) => res.render(view, data, (error, html) => (error ? reject(error) : resolve(html))));

/** The same query string on the page and its PDF, so both can be bookmarked. */
const queryStringOf = (req: Request) => new URL(req.originalUrl, 'http://localhost').search;

export function reportsPages({ db, clock, config, logger }: AppContext): Router {
  const router = Router();

  const pageData = (req: Request, account: ReportAccount) => ({
    layout: 'print',
    title: `${account.name}: account history`,
    account,
    choices,
    pdfAvailable: isChromiumInstalled(config.chromiumPath),
    pdfUnavailable,
    pdfUrl: `/accounts/${account.id}/report.pdf${queryStringOf(req)}`,
  });

  /** A bad option re-renders the options with status 400, the input kept and errors beside the fields. */
  async function renderOptionsError(req: Request, res: Response, account: ReportAccount, error: ValidationFailed) {
    res.status(400).render('reports/show', {
      ...pageData(req, account),
      people: await listReportPeople(db, account.id),
      // What was typed, over the defaults a hand-typed URL may have left out.
      values: { sections: reportSections, paper: defaultPaperFor(viewerOf(req).time_zone), ...req.query },
      errors: error.fields ?? {},
      formError: error.message,
    });
  }

  async function loadReport(req: Request) {
    const viewer = viewerOf(req);
    const account = await getReportAccount(db, viewer, accountIdOf(req));
    try {
      const options = parseInput(reportOptionsSchema(viewer.time_zone), req.query);
      return { account, options, report: await buildAccountReport(db, account, options, { viewer, now: clock.now() }), error: undefined };
    } catch (error) {
      if (error instanceof ValidationFailed) return { account, error };
      throw error;
    }
  }

  router.get('/accounts/:id/report', async (req, res) => {
    const loaded = await loadReport(req);
    if (loaded.error) return renderOptionsError(req, res, loaded.account, loaded.error);
    const { account, options, report } = loaded;
    const historyToPresent = report.preparedFor ? await historyToPresentTo(db, report.preparedFor.id) : false;
    const issuer = issuerOf(await getCompanyBranding(db), false);
    res.render('reports/show', { ...pageData(req, account), issuer, report, people: report.people, values: options, historyToPresent });
  });

  router.get('/accounts/:id/report.pdf', async (req, res) => {
    const loaded = await loadReport(req);
    if (loaded.error) return renderOptionsError(req, res, loaded.account, loaded.error);
    if (!isChromiumInstalled(config.chromiumPath)) throw new HttpError(503, 'pdf_unavailable', pdfUnavailable);
    const { account, report } = loaded;
    const issuer = issuerOf(await getCompanyBranding(db), true);
    const [html, footerTemplate] = await Promise.all([
      renderToString(res, 'reports/pdf', { ...pageData(req, account), issuer, report, inlineStylesheet: inlineStylesheet() }),
      renderToString(res, 'reports/pdf-footer', { layout: false, issuer, report }),
    ]);
    const browser = await sharedChromium(config.chromiumPath).catch((error: unknown) => {
      logger.error({ err: error }, 'Chromium did not start');
      throw new HttpError(503, 'pdf_unavailable', 'The PDF could not be made just now. Printing from your browser (Print, then Save as PDF) gives the same document.');
    });
    const pdf = await htmlToPdf(browser, html, { footerTemplate });
    const fileName = `${account.name.replace(/[\\/:*?"<>|]+/g, '-')} - account history ${report.preparedOn}.pdf`;
    res.attachment(fileName).type('application/pdf').send(pdf);
  });

  return router;
}
