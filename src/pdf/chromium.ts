import { accessSync, constants } from 'node:fs';
import type { Browser } from 'playwright-core';
import { keepPrintingPageReady } from './html-to-pdf.js';

// No sandbox (containers run as root), no GPU, and nothing that phones home or updates itself.
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Checked on every use, so installing Chromium needs no restart. */
export function isChromiumInstalled(executablePath: string): boolean {
  try {
    accessSync(executablePath, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A fresh headless Chromium (e2e tests launch their own; the app shares one, below). */
export async function launchChromium(executablePath: string): Promise<Browser> {
  // Loaded on first use: playwright-core alone adds about 80 MB to a process that never prints a PDF.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath, headless: true, args: chromiumArgs });
}

// One browser per process, started on first use: a launch takes about a second, a new context milliseconds.
let shared: Promise<Browser> | undefined;

export function sharedChromium(executablePath: string): Promise<Browser> {
  if (!shared) {
    // The first printing page opens with the browser, so even the first download waits only for printing.
    const launching = launchChromium(executablePath).then(async (browser) => {
      await keepPrintingPageReady(browser).catch(async (error: unknown) => {
        await browser.close();
        throw error;
      });
      return browser;
    });
    const forget = () => {
      if (shared === launching) shared = undefined;
    };
    // A crashed or failed browser is launched again on the next request.
    launching.then((browser) => browser.on('disconnected', forget), forget);
    shared = launching;
  }
  return shared;
}

/** Called on shutdown (and after tests). */
export async function closeSharedChromium(): Promise<void> {
  const launching = shared;
  shared = undefined;
  const browser = await launching?.catch(() => undefined);
  await browser?.close();
}
