import type { Browser, Page } from 'playwright-core';

export interface PdfOptions {
  /** Chromium fills in <span class="pageNumber"> and <span class="totalPages">. */
  footerTemplate: string;
}

// A new context and page cost a renderer process: seconds on a busy two-core machine, more than
// laying out and printing a 500-touchpoint history. So pages are kept and reused. Nothing carries
// over from one report to the next: the page runs no JavaScript, has no network and no cookies,
// and setContent replaces the whole document.
const maxIdlePages = 2;
const idlePages = new WeakMap<Browser, Page[]>();

async function newPrintingPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
  const page = await context.newPage();
  await page.route('**/*', (route) => route.abort());
  return page;
}

function idleOf(browser: Browser): Page[] {
  let idle = idlePages.get(browser);
  if (!idle) idlePages.set(browser, (idle = []));
  return idle;
}

/**
 * Opens a page ahead of the first download and prints a blank sheet on it, so Chromium's print
 * pipeline and fonts are loaded before anyone waits: the first download waits only for its own printing.
 */
export async function keepPrintingPageReady(browser: Browser): Promise<void> {
  const idle = idleOf(browser);
  if (idle.length > 0) return;
  const page = await newPrintingPage(browser);
  await page.setContent('<p style="font-family: \'Liberation Sans\', Arial, sans-serif">Ready</p>', { waitUntil: 'load' });
  await page.pdf({ displayHeaderFooter: true, headerTemplate: '<span></span>', footerTemplate: '<span class="pageNumber"></span>' });
  idle.push(page);
}

/**
 * Prints a self-contained HTML document (styles inline) to PDF. The paper size comes from the
 * document's own @page rules, so the PDF matches printing from the browser. The page gets no
 * JavaScript and no network: nothing in it can fetch or run anything, and no session is needed.
 */
export async function htmlToPdf(browser: Browser, html: string, options: PdfOptions): Promise<Buffer> {
  const idle = idleOf(browser);
  let page = idle.pop();
  if (!page || page.isClosed()) page = await newPrintingPage(browser);
  let reusable = false;
  try {
    // 'load' without waiting for the network to go idle: there is no network, everything is inline.
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate('document.fonts.ready.then(() => true)');
    const pdf = await page.pdf({
      preferCSSPageSize: true,
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: options.footerTemplate,
      // Same margins as report.css's @page rule: the footer lives in the bottom one.
      margin: { top: '18mm', right: '16mm', bottom: '20mm', left: '16mm' },
    });
    reusable = true;
    return pdf;
  } finally {
    // A page that failed is thrown away; at most a couple are kept for the next downloads.
    if (reusable && idle.length < maxIdlePages) idle.push(page);
    else await page.context().close().catch(() => undefined);
  }
}
