import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { connectDatabase } from '../src/db/connect.js';
import { scaleEmails, scalePassword } from '../src/demo/scale-seed.js';
import { findUserByEmail } from '../src/users/users.service.js';
import { cacheFolder, cachedDataset, datasetSize, findSubjects, runFolder, setDigestsOptedOut } from './dataset.js';
import { type ServerProcess, buildServer, npmStartCommand, signIn, startServer } from './processes.js';
import { type ImportTiming, timeImport, timeVendorImport, type VendorImportTiming } from './import-timing.js';
import { type HttpRequest, type HttpScenario, type Target, httpScenarios, outsideTimings } from './scenarios.js';

// npm run bench -- [--scale N] [--duration S] [--connections C] [--only TEXT] [--profile] [--results FILE]
// Seeds (or reuses) a company of N reps, starts the app as its own process on a copy of it, and
// drives each scenario over loopback: first one client at a time (latency a person sees), then C
// clients at once (sustained throughput). Writes bench/results.json.

const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '500' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    /** Only the scenarios whose name contains this text (to profile one of them). */
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    results: { type: 'string', default: 'bench/results.json' },
    'import-rows': { type: 'string', default: '100000' },
    /** The vendor import's size: 200 contacts and 2,000 activities a rep unless given (100,000 and 1,000,000 at N=500). */
    'vendor-contacts': { type: 'string' },
    'vendor-activities': { type: 'string' },
  },
});
const chosen = (name: string) => !values.only || name.toLowerCase().includes(values.only.toLowerCase());
const reps = Number(values.scale);
const importRows = Number(values['import-rows']);
const vendorContacts = Number(values['vendor-contacts'] ?? 200 * Number(values.scale));
const vendorActivities = Number(values['vendor-activities'] ?? 2000 * Number(values.scale));
const duration = Number(values.duration);
const connections = Number(values.connections);
if (![reps, duration, connections].every((value) => Number.isInteger(value) && value > 0))
  throw new Error('--scale, --duration and --connections take whole numbers above zero');
// Each scenario's time is split between the one-client and the many-client phase.
const phaseSeconds = Math.max(1, Math.round(duration / 2));

interface Measured {
  name: string;
  target: Target;
  skipped?: string;
  requests_per_second?: number;
  ceiling_share?: number;
  p50_ms?: number;
  p99_ms?: number;
  one_client_p50_ms?: number;
  one_client_p99_ms?: number;
  server_rss_mb?: number;
  server_peak_rss_mb?: number;
  failures?: number;
  met?: boolean;
}

/** Work that takes seconds a request is timed over a count of requests, not a few seconds' window. */
const slowScenarioRequests = 10;

async function load(url: string, requests: HttpRequest[], clients: number, counted = false) {
  const result = await autocannon({ url, connections: clients, requests, ...(counted ? { amount: slowScenarioRequests, timeout: 60 } : { duration: phaseSeconds }) });
  // A phase in which no answer came back has no latency to speak of (autocannon would say 0 ms).
  const answered = result['2xx'] + result.non2xx > 0;
  return {
    perSecond: Math.round(result.requests.average),
    p50: answered ? result.latency.p50 : Infinity,
    p99: answered ? result.latency.p99 : Infinity,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/** Runs one scenario in both phases; the first request is checked by hand so a broken route fails loudly. */
async function measure(server: ServerProcess, scenario: Pick<HttpScenario, 'name' | 'target' | 'status' | 'skipWhenMissing' | 'oneClientOnly'>, requests: HttpRequest[]): Promise<Measured> {
  const { name, target, status } = scenario;
  const first = requests[0]!;
  const probe = await fetch(`${server.url}${first.path}`, { method: first.method, headers: first.headers, body: first.body, redirect: 'manual' });
  if (probe.status === 404 && scenario.skipWhenMissing) return { name, target, skipped: scenario.skipWhenMissing };
  if (probe.status !== status) return { name, target, failures: 1, skipped: `answered ${probe.status}, expected ${status}` };
  const single = await load(server.url, requests, 1, scenario.oneClientOnly);
  const loaded = scenario.oneClientOnly ? { ...single, failures: 0 } : await load(server.url, requests, connections);
  const memory = server.memory();
  return {
    name,
    target,
    requests_per_second: loaded.perSecond,
    p50_ms: loaded.p50,
    p99_ms: loaded.p99,
    one_client_p50_ms: single.p50,
    one_client_p99_ms: single.p99,
    server_rss_mb: memory.rssMb,
    server_peak_rss_mb: memory.peakMb,
    failures: single.failures + loaded.failures,
  };
}

function judge(row: Measured): boolean | undefined {
  const { target } = row;
  if (row.skipped || Object.keys(target).length === 0) return undefined;
  return (
    (target.p99Ms === undefined || row.one_client_p99_ms! <= target.p99Ms) &&
    (target.loadedP99Ms === undefined || row.p99_ms! <= target.loadedP99Ms) &&
    (target.perSecond === undefined || row.requests_per_second! >= target.perSecond) &&
    (target.ceilingShare === undefined || row.ceiling_share! >= target.ceilingShare)
  );
}

function describeTarget(target: Target): string {
  const parts = [
    target.p99Ms !== undefined && `p99 ≤ ${target.p99Ms} ms`,
    target.loadedP99Ms !== undefined && `p99 under load ≤ ${target.loadedP99Ms} ms`,
    target.perSecond !== undefined && `≥ ${target.perSecond}/s`,
    target.ceilingShare !== undefined && `≥ ${target.ceilingShare * 100}% of bare`,
  ].filter(Boolean);
  return parts.join(', ') || '—';
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((width) => '─'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

const cached = await cachedDataset(reps);
const copyStarted = performance.now();
const run = runFolder(cached);
console.log(`Copied it for this run in ${((performance.now() - copyStarted) / 1000).toFixed(1)} s.`);
const databaseUrl = `sqlite:${run.database}`;
const servers: ServerProcess[] = [];
let exitCode = 0;
try {
  const setup = connectDatabase(databaseUrl);
  const subjects = await findSubjects(setup);
  const size = await datasetSize(setup);
  // On start the server would catch up on this week's digests for every manager, competing with
  // the scenarios; they are timed separately below, so managers are opted out while it serves.
  await setDigestsOptedOut(setup, true);
  await setup.destroy();

  const profileFolder = path.join(cacheFolder, 'profiles');
  const ceiling = await startServer('bench/ceiling-server.ts');
  servers.push(ceiling);
  buildServer();
  const deployed = npmStartCommand();
  const app = await startServer(deployed.entry, {
    env: { DATABASE_URL: databaseUrl },
    nodeOptions: [...deployed.nodeOptions, ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileFolder}`] : [])],
    cwd: run.folder,
  });
  servers.push(app);
  const context = {
    ...subjects,
    repCookie: await signIn(app.url, subjects.rep.email, scalePassword),
    managerCookie: await signIn(app.url, subjects.manager.email, scalePassword),
  };
  console.log(`Scenarios: ${phaseSeconds} s with one client, then ${phaseSeconds} s with ${connections}.`);

  const bare = await measure(ceiling, { name: 'bare Express + Handlebars page (ceiling)', target: {}, status: 200 }, [{ method: 'GET', path: '/', headers: {} }]);
  if (bare.skipped) throw new Error(`The ceiling page ${bare.skipped}`);
  bare.ceiling_share = 1;
  const rows: Measured[] = [bare];
  for (const scenario of httpScenarios.filter(({ name }) => chosen(name))) {
    console.log(`  ${scenario.name}…`);
    const row = await measure(app, scenario, scenario.requests(context));
    if (row.skipped) console.log(`    skipped: ${row.skipped}`);
    if (row.requests_per_second !== undefined) row.ceiling_share = Math.round((row.requests_per_second / bare.requests_per_second!) * 1000) / 1000;
    row.met = judge(row);
    rows.push(row);
  }
  const peakMb = app.memory().peakMb;
  await Promise.all(servers.splice(0).map((server) => server.stop()));

  // Outside HTTP, in this process, on the same copy (after the writes above).
  const db = connectDatabase(databaseUrl);
  await setDigestsOptedOut(db, false);
  const outside = [];
  for (const timing of outsideTimings.filter(({ name }) => chosen(name))) {
    const started = performance.now();
    const did = await timing.run(db);
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    outside.push({ name: timing.name, did, seconds, target_seconds: timing.targetSeconds, met: timing.targetSeconds === undefined ? undefined : seconds <= timing.targetSeconds });
  }
  const rep = (await findUserByEmail(db, subjects.rep.email))!;
  await db.destroy();

  // Last, as it adds thousands of accounts to the copy.
  let imported: ImportTiming | undefined;
  if (chosen('import')) {
    console.log(`  import of a ${importRows.toLocaleString('en-US')}-row CSV…`);
    const target = subjects.writeTargets[0]!;
    imported = await timeImport({ folder: run.folder, databaseUrl, rows: importRows, importer: scaleEmails.admin, writer: { user: rep, accountId: target.accountId, contactId: target.contactIds[0]! } });
  }
  let vendorImported: VendorImportTiming | undefined;
  if (chosen('vendor import')) {
    console.log(`  import of a Salesforce export: ${vendorContacts.toLocaleString('en-US')} contacts, ${vendorActivities.toLocaleString('en-US')} activities…`);
    const target = subjects.writeTargets[0]!;
    vendorImported = await timeVendorImport({
      folder: run.folder,
      databaseUrl,
      contacts: vendorContacts,
      activities: vendorActivities,
      importer: scaleEmails.admin,
      writer: { user: rep, accountId: target.accountId, contactId: target.contactIds[0]! },
    });
  }

  console.log(`\nBuychain at ${reps} reps on SQLite · ${os.cpus().length} cores · Node ${process.version} · ${connections} clients for req/s and p50/p99\n`);
  const ms = (value: number | undefined) => (value === undefined ? '' : value === Infinity ? `> ${phaseSeconds * 1000}` : String(value));
  printTable(
    ['scenario', 'req/s', '× bare', 'p50 ms', 'p99 ms', '1-client p50', '1-client p99', 'target at N=500', 'met'],
    rows.map((row) =>
      row.skipped
        ? [row.name, `skipped: ${row.skipped}`, '', '', '', '', '', describeTarget(row.target), '']
        : [
            row.name,
            String(row.requests_per_second),
            row.ceiling_share!.toFixed(2),
            ms(row.p50_ms),
            ms(row.p99_ms),
            ms(row.one_client_p50_ms),
            ms(row.one_client_p99_ms),
            describeTarget(row.target),
            row.met === undefined ? '' : row.met ? 'yes' : 'NO',
          ],
    ),
  );
  console.log('');
  printTable(
    ['outside HTTP', 'work', 'seconds', 'target', 'met'],
    outside.map((row) => [row.name, row.did, row.seconds.toFixed(2), row.target_seconds === undefined ? '—' : `≤ ${row.target_seconds} s`, row.met === undefined ? '' : row.met ? 'yes' : 'NO']),
  );
  if (imported) {
    console.log('');
    printTable(
      ['CSV import (command line)', 'seconds', 'CPU s', 'peak RSS MB', 'writes beside', 'failed', 'longest wait ms'],
      [[`${imported.rows.toLocaleString('en-US')} rows, ${imported.file_mb} MB`, imported.seconds.toFixed(2), imported.cpu_seconds.toFixed(2), String(imported.peak_rss_mb), String(imported.writes_beside), String(imported.failed_writes_beside), String(imported.longest_write_wait_ms)]],
    );
    console.log(`  ${imported.output}`);
    if (imported.failed_writes_beside > 0) exitCode = 1;
  }
  if (vendorImported) {
    console.log('');
    const met = vendorImported.seconds <= 60 && vendorImported.peak_rss_mb <= 300;
    printTable(
      ['vendor import (command line)', 'seconds', 'CPU s', 'peak RSS MB', 'writes beside', 'failed', 'longest wait ms', 'target', 'met'],
      [
        [
          `Salesforce: ${vendorImported.contacts.toLocaleString('en-US')} contacts, ${vendorImported.activities.toLocaleString('en-US')} activities, ${vendorImported.files_mb} MB`,
          vendorImported.seconds.toFixed(2),
          vendorImported.cpu_seconds.toFixed(2),
          String(vendorImported.peak_rss_mb),
          String(vendorImported.writes_beside),
          String(vendorImported.failed_writes_beside),
          String(vendorImported.longest_write_wait_ms),
          '≤ 60 s, ≤ 300 MB',
          met ? 'yes' : 'NO',
        ],
      ],
    );
    console.log(`  ${vendorImported.output}`);
    if (vendorImported.failed_writes_beside > 0) exitCode = 1;
  }
  console.log(`\nServer peak memory (VmHWM): ${peakMb} MB (target ≤ 300 MB: ${peakMb <= 300 ? 'met' : 'NOT met'})`);
  if (values.profile) console.log(`CPU profile of the server: ${path.relative(process.cwd(), profileFolder)}/*.cpuprofile`);

  const failed = rows.filter((row) => row.failures);
  for (const row of failed) console.error(`${row.name}: ${row.skipped ?? `${row.failures} failed requests`}`);
  if (failed.length > 0) exitCode = 1;

  fs.writeFileSync(
    values.results,
    `${JSON.stringify(
      {
        measured_at: new Date().toISOString(),
        scale: { reps, ...size },
        machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version },
        method: { seconds_per_phase: phaseSeconds, connections, database: 'SQLite, one server process' },
        server_peak_rss_mb: peakMb,
        scenarios: rows,
        outside_http: outside,
        csv_import: imported,
        vendor_import: vendorImported,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Wrote ${values.results}.`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  fs.rmSync(run.folder, { recursive: true, force: true });
}
process.exitCode = exitCode;
