import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { pino } from 'pino';
import { createApp } from '../../../src/app.js';
import { type Clock, fixedClock } from '../../../src/clock.js';
import { parseConfig } from '../../../src/config.js';
import { demoPassword, seedDemo } from '../../../src/demo/demo-seed.js';
import { createMailer } from '../../../src/mail/mailer.js';
import { closeSharedChromium, launchChromium } from '../../../src/pdf/chromium.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database.js';
import { testNow } from '../../support/test-app.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const viewports = {
  phone: { width: 390, height: 844 },
  laptop: { width: 1280, height: 800 },
} as const;
export type Size = keyof typeof viewports;

export const demo = {
  rep: 'riley@demo.buychain.test',
  manager: 'dana@demo.buychain.test',
  admin: 'admin@demo.buychain.test',
} as const;

export interface BrowserOptions {
  javaScriptEnabled?: boolean;
}

export interface BrowserApp extends TestDatabase {
  app: Express;
  clock: Clock;
  baseUrl: string;
  browser: Browser;
  /** A fresh browser (own cookies) at a size, signed in as a demo user. */
  signedIn(size: Size, email?: string, options?: BrowserOptions): Promise<Page>;
  /** A fresh browser at a size, signed out. */
  newPage(size: Size, options?: BrowserOptions): Promise<Page>;
  accountId(name: string): Promise<number>;
  contactId(name: string): Promise<number>;
  close(): Promise<void>;
}

/** The real app on a free port over the demo company, with a fixed clock, and a headless Chromium. */
export async function startBrowserApp(): Promise<BrowserApp> {
  const database = await createTestDatabase();
  const clock = fixedClock(testNow);
  await seedDemo(database.db, clock);
  const config = parseConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
  const mailer = createMailer({ from: 'test@buychain.test', outboxFolder: mkdtempSync(path.join(os.tmpdir(), 'buychain-outbox-')) });
  const app = createApp({ db: database.db, clock, mailer, config, logger: pino({ level: 'silent' }) });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(config.chromiumPath);
  const contexts: BrowserContext[] = [];

  const newPage = async (size: Size, options: BrowserOptions = {}) => {
    // reducedMotion and a fixed locale and zone keep screenshots the same on every machine.
    const context = await browser.newContext({
      baseURL: baseUrl,
      viewport: viewports[size],
      locale: 'en-US',
      timezoneId: 'America/Chicago',
      reducedMotion: 'reduce',
      javaScriptEnabled: options.javaScriptEnabled ?? true,
    });
    contexts.push(context);
    return context.newPage();
  };

  return {
    ...database,
    app,
    clock,
    baseUrl,
    browser,
    newPage,
    async signedIn(size, email = demo.rep, options = {}) {
      const page = await newPage(size, options);
      await page.goto('/login');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(demoPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/accounts');
      return page;
    },
    async accountId(name) {
      return (await database.db.selectFrom('accounts').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
    },
    async contactId(name) {
      return (await database.db.selectFrom('contacts').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
    },
    async close() {
      for (const context of contexts) await context.close();
      await browser.close();
      // The PDF route shares one Chromium per process.
      await closeSharedChromium();
      await new Promise((resolve) => server.close(resolve));
      await database.drop();
    },
  };
}
