import type { Db } from '../src/db/database.js';
import { scaleEmails } from '../src/demo/scale-seed.js';
import { buildAllDigests } from '../src/digest/digest.service.js';
import { assessAccounts } from '../src/risk/risk.service.js';
import { findUserByEmail } from '../src/users/users.service.js';
import type { Subjects } from './dataset.js';

// The benchmark's scenarios, each with the target at N=500. To add one, add an entry here.

export interface Target {
  /** p99 for one client at a time: what a person waits. */
  p99Ms?: number;
  /** p99 with every connection busy: the latency at the sustained rate. */
  loadedP99Ms?: number;
  perSecond?: number;
  /** Throughput as a share of the bare Express + Handlebars page. */
  ceilingShare?: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface ScenarioContext extends Subjects {
  repCookie: string;
  managerCookie: string;
}

export interface HttpScenario {
  name: string;
  target: Target;
  /** The status every request must answer. */
  status: number;
  /** Only the one-client phase: work a person waits for alone (a PDF), not a page served by the thousand. */
  oneClientOnly?: boolean;
  /** For a route another engineer may not have built yet: a 404 skips the scenario with this note. */
  skipWhenMissing?: string;
  /** The requests to rotate through (each connection cycles over them). */
  requests(context: ScenarioContext): HttpRequest[];
}

const page = (path: string, cookie: string): HttpRequest => ({ method: 'GET', path, headers: { cookie } });
const api = (method: HttpRequest['method'], path: string, token: string, body?: object): HttpRequest => ({
  method,
  path,
  headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
});

/** Also run against one app process on PostgreSQL, to compare with two (issue 22). */
export const touchpointWrites: HttpScenario = {
  name: 'log a touchpoint (rep, API)',
  target: { perSecond: 1000, loadedP99Ms: 20 },
  status: 201,
  // A minute ago, so the server never sees it as in the future; rotating over the rep's accounts.
  requests: ({ rep, writeTargets }) => {
    const occurredAt = new Date(Date.now() - 60_000).toISOString();
    return writeTargets.map(({ accountId, contactIds }) =>
      api('POST', `/api/v1/accounts/${accountId}/touchpoints`, rep.token, {
        contact_ids: contactIds,
        kind: 'call',
        location: 'phone',
        occurred_at: occurredAt,
        summary: 'Checked in on the toner delivery; all good.',
      }),
    );
  },
};

export const httpScenarios: HttpScenario[] = [
  {
    name: 'account page (rep)',
    target: { p99Ms: 25, ceilingShare: 0.3 },
    status: 200,
    requests: ({ typicalAccountId, repCookie }) => [page(`/accounts/${typicalAccountId}`, repCookie)],
  },
  {
    name: 'My accounts (rep)',
    target: { p99Ms: 30 },
    status: 200,
    requests: ({ repCookie }) => [page('/accounts', repCookie)],
  },
  {
    name: 'team view (manager)',
    target: { p99Ms: 150 },
    status: 200,
    requests: ({ managerCookie }) => [page('/team', managerCookie)],
  },
  {
    name: 'GET /api/v1/risk (manager)',
    target: { p99Ms: 150 },
    status: 200,
    requests: ({ manager }) => [api('GET', '/api/v1/risk', manager.token)],
  },
  touchpointWrites,
  {
    name: 'search one person by name (rep, API)',
    target: { p99Ms: 50 },
    status: 200,
    requests: ({ rep, searchNames }) => searchNames.map((name) => api('GET', `/api/v1/search?q=${encodeURIComponent(name)}`, rep.token)),
  },
  {
    name: 'printable report, ~500 touchpoints (rep)',
    target: {},
    status: 200,
    skipWhenMissing: 'the printable report (GET /accounts/:id/report) is not built yet',
    requests: ({ reportAccountId, repCookie }) => [page(`/accounts/${reportAccountId}/report`, repCookie)],
  },
  {
    // Chromium is started by the first (probe) request; what is measured is every download after it.
    name: 'report PDF, ~500 touchpoints (rep)',
    target: { p99Ms: 3000 },
    status: 200,
    oneClientOnly: true,
    requests: ({ reportAccountId, repCookie }) => [page(`/accounts/${reportAccountId}/report.pdf`, repCookie)],
  },
];

export interface OutsideTiming {
  name: string;
  targetSeconds: { sqlite: number; postgres: number };
  /** Does the work once and says how much it did. */
  run(db: Db): Promise<string>;
}

export const outsideTimings: OutsideTiming[] = [
  {
    name: 'risk for every account (weekly snapshot)',
    targetSeconds: { sqlite: 10, postgres: 15 },
    async run(db) {
      const admin = await findUserByEmail(db, scaleEmails.admin);
      if (!admin) throw new Error('The scale seed has no admin');
      const assessed = await assessAccounts(db, { visibleTo: admin }, { now: new Date(), zone: 'UTC' });
      return `${assessed.length.toLocaleString('en-US')} accounts`;
    },
  },
  {
    name: "every manager's weekly digest",
    targetSeconds: { sqlite: 15, postgres: 20 },
    async run(db) {
      const digests = await buildAllDigests(db, { now: new Date(), baseUrl: 'http://localhost' });
      return `${digests.length} managers`;
    },
  },
];
