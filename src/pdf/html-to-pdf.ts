import type { Browser } from 'playwright-core';

export interface PdfOptions {
  /** Chromium fills in <span class="pageNumber"> and <span class="totalPages">. */
  footerTemplate: string;
}

/**
 * Prints a self-contained HTML document (styles inline) to PDF. The paper size comes from the
 * document's own @page rules, so the PDF matches printing from the browser. The page gets no
 * JavaScript and no network: nothing in it can fetch or run anything, and no session is needed.
 */
export async function htmlToPdf(browser: Browser, html: string, options: PdfOptions): Promise<Buffer> {
  const context = await browser.newContext({ javaScriptEnabled: false, offline: true });
  try {
    const page = await context.newPage();
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    await page.evaluate('document.fonts.ready.then(() => true)');
    return await page.pdf({
      preferCSSPageSize: true,
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: options.footerTemplate,
      // Same margins as report.css's @page rule: the footer lives in the bottom one.
      margin: { top: '18mm', right: '16mm', bottom: '20mm', left: '16mm' },
    });
  } finally {
    await context.close();
  }
}
