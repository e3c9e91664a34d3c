import type { Express } from 'express';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommitment } from '../../src/commitments/commitments.service.js';
import { newCommitmentSchema } from '../../src/commitments/commitments.schemas.js';
import { createComplaint } from '../../src/complaints/complaints.service.js';
import { newComplaintSchema } from '../../src/complaints/complaints.schemas.js';
import { createResetLink } from '../../src/users/account-care.service.js';
import { findUserByEmail } from '../../src/users/users.service.js';
import { type BrowserApp, type Size, demo, startBrowserApp } from './support/browser-app.js';
import { pageProblems, saveScreenshot } from './support/page-checks.js';

let t: BrowserApp;
beforeAll(async () => {
  t = await startBrowserApp();
});
afterAll(() => t?.close());

type Viewer = 'signedOut' | keyof typeof demo;

interface PageUnderTest {
  name: string;
  /** The route as registered in src/app.ts. */
  route: string;
  viewer: Viewer;
  path: () => Promise<string>;
  /** Shown in the README at both sizes. */
  screenshot?: boolean;
}

const harbor = () => t.accountId('Harbor Dental Group');
const northwind = () => t.accountId('Northwind Logistics');
const maria = () => t.contactId('Maria Lopez');
const leavingTom = () => t.contactId('Tom Alvarez');
const harborsLatestTouchpoint = async () =>
  (await t.db.selectFrom('touchpoints').select('id').where('account_id', '=', await harbor()).orderBy('occurred_at', 'desc').executeTakeFirstOrThrow()).id;

/** A complaint and a promise on Harbor Dental, so their pages have something to show. */
async function complaintId() {
  const riley = (await findUserByEmail(t.db, demo.rep))!;
  const category = await t.db.selectFrom('complaint_categories').select('name').orderBy('position').executeTakeFirstOrThrow();
  const accountId = await harbor();
  const complaint = await createComplaint(t.db, t.clock, riley, accountId, newComplaintSchema.parse({
    category: category.name,
    issue: 'The front-desk copier jammed twice during payroll week.',
    contact_id: await maria(),
  }));
  await createCommitment(t.db, t.clock, riley, accountId, newCommitmentSchema.parse({
    description: 'Send the toner usage report',
    due_on: '2026-11-20',
    contact_id: await maria(),
  }));
  return complaint.id;
}

const pages: PageUnderTest[] = [
  { name: 'login', route: '/login', viewer: 'signedOut', path: async () => '/login', screenshot: true },
  { name: 'my-accounts', route: '/accounts', viewer: 'rep', path: async () => '/accounts', screenshot: true },
  { name: 'team', route: '/team', viewer: 'manager', path: async () => '/team', screenshot: true },
  { name: 'account', route: '/accounts/:id', viewer: 'rep', path: async () => `/accounts/${await harbor()}`, screenshot: true },
  { name: 'account-with-leaving-contact', route: '/accounts/:id', viewer: 'rep', path: async () => `/accounts/${await northwind()}` },
  { name: 'account-edit', route: '/accounts/:id/edit', viewer: 'rep', path: async () => `/accounts/${await harbor()}/edit` },
  { name: 'account-new', route: '/accounts/new', viewer: 'rep', path: async () => '/accounts/new' },
  { name: 'contact', route: '/contacts/:id', viewer: 'rep', path: async () => `/contacts/${await maria()}`, screenshot: true },
  { name: 'contact-edit', route: '/contacts/:id/edit', viewer: 'rep', path: async () => `/contacts/${await maria()}/edit` },
  { name: 'contact-new', route: '/accounts/:id/contacts/new', viewer: 'rep', path: async () => `/accounts/${await harbor()}/contacts/new` },
  { name: 'touchpoint-new', route: '/accounts/:id/touchpoints/new', viewer: 'rep', path: async () => `/accounts/${await northwind()}/touchpoints/new`, screenshot: true },
  { name: 'departure', route: '/contacts/:id/departure', viewer: 'rep', path: async () => `/contacts/${await leavingTom()}/departure`, screenshot: true },
  { name: 'report', route: '/accounts/:id/report', viewer: 'rep', path: async () => `/accounts/${await harbor()}/report`, screenshot: true },
  { name: 'commitments', route: '/accounts/:id/commitments', viewer: 'rep', path: async () => `/accounts/${await harbor()}/commitments` },
  { name: 'complaints', route: '/accounts/:id/complaints', viewer: 'rep', path: async () => `/accounts/${await harbor()}/complaints` },
  { name: 'complaint', route: '/complaints/:id', viewer: 'rep', path: async () => `/complaints/${await complaintId()}` },
  { name: 'complaint-insights', route: '/complaints/insights', viewer: 'manager', path: async () => '/complaints/insights' },
  { name: 'complaint-categories', route: '/complaints/categories', viewer: 'admin', path: async () => '/complaints/categories' },
  { name: 'import', route: '/import', viewer: 'rep', path: async () => '/import' },
  { name: 'digest', route: '/digest', viewer: 'manager', path: async () => '/digest' },
  { name: 'admin-digests', route: '/admin/digests', viewer: 'admin', path: async () => '/admin/digests' },
  { name: 'settings', route: '/settings', viewer: 'rep', path: async () => '/settings' },
  { name: 'week', route: '/week', viewer: 'rep', path: async () => '/week', screenshot: true },
  { name: 'settings-mailbox', route: '/settings/mailbox', viewer: 'rep', path: async () => '/settings/mailbox' },
  { name: 'admin-users', route: '/admin/users', viewer: 'admin', path: async () => '/admin/users' },
  { name: 'admin-user-delete', route: '/admin/users/:id/delete', viewer: 'admin', path: async () => `/admin/users/${(await findUserByEmail(t.db, demo.rep))!.id}/delete` },
  { name: 'reset-password', route: '/reset-password', viewer: 'signedOut', path: async () => resetLinkPath() },
  { name: 'admin-company', route: '/admin/company', viewer: 'admin', path: async () => '/admin/company' },
  { name: 'touchpoint-edit', route: '/touchpoints/:id/edit', viewer: 'rep', path: async () => `/touchpoints/${await harborsLatestTouchpoint()}/edit` },
  { name: 'touchpoint-delete', route: '/touchpoints/:id/delete', viewer: 'rep', path: async () => `/touchpoints/${await harborsLatestTouchpoint()}/delete` },
  { name: 'touchpoints-deleted', route: '/accounts/:id/touchpoints/deleted', viewer: 'rep', path: async () => `/accounts/${await harbor()}/touchpoints/deleted` },
  { name: 'search', route: '/search', viewer: 'rep', path: async () => '/search?q=maria' },
  { name: 'contact-merge', route: '/contacts/:id/merge', viewer: 'rep', path: async () => `/contacts/${await maria()}/merge` },
];

/** A fresh one-time link for Riley, as an admin would email it. */
async function resetLinkPath() {
  const riley = (await findUserByEmail(t.db, demo.rep))!;
  const { url } = await createResetLink(t.db, t.clock, 'http://buychain.test', riley.id, null);
  return url.replace('http://buychain.test', '');
}

// GET routes that answer something other than a page.
const notPages = new Set(['/', '/export', '/export/:file', '/company/logo', '/accounts/:id/report.pdf', '/calendar/:file']);

/** Every GET route of the page routers (the API is mounted at a path, so it is skipped). */
function registeredPageRoutes(app: Express): string[] {
  interface Layer { slash?: boolean; route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((layer) => {
      if (layer.route) return layer.route.methods.get ? [layer.route.path] : [];
      return layer.slash && layer.handle?.stack ? walk(layer.handle.stack) : [];
    });
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
}

it('checks every page the app registers', () => {
  const missing = registeredPageRoutes(t.app).filter((route) => !notPages.has(route) && !pages.some((page) => page.route === route));
  expect(missing).toEqual([]);
});

describe.each(['phone', 'laptop'] as Size[])('every page at %s size', (size) => {
  const browsers = new Map<Viewer, Page>();
  const pageFor = async (viewer: Viewer) => {
    if (!browsers.has(viewer)) browsers.set(viewer, viewer === 'signedOut' ? await t.newPage(size) : await t.signedIn(size, demo[viewer]));
    return browsers.get(viewer)!;
  };

  it.each(pages)('$name: no sideways scrolling, 44 px targets, right input types, no serious axe violations', async (under) => {
    const page = await pageFor(under.viewer);
    const response = await page.goto(await under.path());
    expect(response?.status()).toBe(200);
    expect(await pageProblems(page)).toEqual([]);
    if (under.screenshot) await saveScreenshot(page, under.name, size);
  });
});
