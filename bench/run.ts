import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { connectDatabase } from '../src/db/connect.js';
import { hasAnyUser } from '../src/demo/demo-seed.js';
import { scaleEmails, scalePassword } from '../src/demo/scale-seed.js';
import { findUserByEmail } from '../src/users/users.service.js';
import { type ThrowawayCluster, startThrowawayCluster } from '../scripts/pg-cluster.js';
import { cacheFolder, cachedDataset, datasetSize, findSubjects, runFolder, setScheduledMailOptedOut } from './dataset.js';
import { type ServerProcess, buildServer, npmStartCommand, signIn, startServer } from './processes.js';
import { type ImportTiming, timeImport, timeVendorImport, type VendorImportTiming } from './import-timing.js';
import { type MoveTiming, timeMove } from './move-timing.js';
import { type HttpRequest, type HttpScenario, type Target, httpScenarios, outsideTimings, touchpointWrites } from './scenarios.js';

// npm run bench -- [--db sqlite|postgres|both] [--scale N] [--duration S] [--connections C] [--only TEXT] [--profile] [--results FILE]
// Seeds (or reuses) a company of N reps, starts the app on it and drives each scenario over
// loopback: first one client at a time (latency a person sees), then C clients at once (sustained
// throughput). SQLite: one app process on a copy of the cached file. PostgreSQL: the cached company
// moved into a throwaway cluster (or BENCH_DATABASE_URL) with `cli move`, then two app processes
// sharing the load. Writes bench/results.json (SQLite alone) or bench/results-postgres.json.

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    scale: { type: 'string', default: '500' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    /** Only the scenarios whose name contains this text (to profile one of them). */
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    results: { type: 'string' },
    'import-rows': { type: 'string', default: '100000' },
    /** The vendor import's size: 200 contacts and 2,000 activities a rep unless given (100,000 and 1,000,000 at N=500). */
    'vendor-contacts': { type: 'string' },
    'vendor-activities': { type: 'string' },
  },
});
type Engine = 'sqlite' | 'postgres';
if (!['sqlite', 'postgres', 'both'].includes(values.db)) throw new Error('--db takes sqlite, postgres or both');
const engines: Engine[] = values.db === 'both' ? ['sqlite', 'postgres'] : [values.db as Engine];
const resultsFile = values.results ?? (values.db === 'sqlite' ? 'bench/results.json' : 'bench/results-postgres.json');
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
/** App processes behind the load: PostgreSQL is the path for a company that runs several. */
const appProcesses: Record<Engine, number> = { sqlite: 1, postgres: 2 };
/**
 * The benchmark's own PostgreSQL cluster: durability off like test:pg's, WAL kept minimal so the
 * move's COPY into freshly truncated tables writes no WAL, and a buffer cache of 512 MB.
 */
const clusterSettings = ['wal_level=minimal', 'max_wal_senders=0', 'shared_buffers=512MB', 'max_wal_size=4GB'];

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
  /** Statements one request sends to the database (the second request, after the checked first). */
  statements?: number;
  server_rss_mb?: number;
  server_peak_rss_mb?: number;
  failures?: number;
  met?: boolean;
}

interface AppServers {
  processes: ServerProcess[];
  /** Where each process logs the statements of counted requests (STATEMENT_LOG). */
  statementLogs: string[];
}

/** Work that takes seconds a request is timed over a count of requests, not a few seconds' window. */
const slowScenarioRequests = 10;

async function load(urls: string[], requests: HttpRequest[], clients: number, counted = false) {
  // autocannon spreads the connections over several URLs (its types only know one).
  const result = await autocannon({ url: urls as unknown as string, connections: clients, requests, ...(counted ? { amount: slowScenarioRequests, timeout: 60 } : { duration: phaseSeconds }) });
  // A phase in which no answer came back has no latency to speak of (autocannon would say 0 ms).
  const answered = result['2xx'] + result.non2xx > 0;
  return {
    perSecond: Math.round(result.requests.average),
    p50: answered ? result.latency.p50 : Infinity,
    p99: answered ? result.latency.p99 : Infinity,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

const send = (url: string, request: HttpRequest, extraHeaders: Record<string, string> = {}) =>
  fetch(`${url}${request.path}`, { method: request.method, headers: { ...request.headers, ...extraHeaders }, body: request.body, redirect: 'manual' });

const loggedLines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

/** Sends one request marked to be counted to the first process and reads how many statements it sent. */
async function countStatements(servers: AppServers, request: HttpRequest): Promise<number | undefined> {
  const file = servers.statementLogs[0]!;
  const before = loggedLines(file).length;
  const response = await send(servers.processes[0]!.url, request, { 'x-count-statements': '1' });
  await response.arrayBuffer();
  // The server writes its line when the response has finished, which can be just after the client has it.
  for (let attempt = 0; attempt < 100; attempt++) {
    const lines = loggedLines(file);
    if (lines.length > before) return (JSON.parse(lines.at(-1)!) as { statements: number }).statements;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/**
 * Runs one scenario in both phases, the load split over the app processes; the first request is
 * checked by hand so a broken route fails loudly, the second counted.
 */
async function measure(servers: AppServers | { processes: ServerProcess[]; statementLogs?: undefined }, scenario: Pick<HttpScenario, 'name' | 'target' | 'status' | 'skipWhenMissing' | 'oneClientOnly'>, requests: HttpRequest[]): Promise<Measured> {
  const { name, target, status } = scenario;
  const urls = servers.processes.map((server) => server.url);
  const probe = await send(urls[0]!, requests[0]!);
  await probe.arrayBuffer();
  if (probe.status === 404 && scenario.skipWhenMissing) return { name, target, skipped: scenario.skipWhenMissing };
  if (probe.status !== status) return { name, target, failures: 1, skipped: `answered ${probe.status}, expected ${status}` };
  const statements = servers.statementLogs ? await countStatements(servers, requests[1 % requests.length]!) : undefined;
  const single = await load(urls, requests, 1, scenario.oneClientOnly);
  const loaded = scenario.oneClientOnly ? { ...single, failures: 0 } : await load(urls, requests, connections);
  const memory = servers.processes.map((server) => server.memory());
  return {
    name,
    target,
    requests_per_second: loaded.perSecond,
    p50_ms: loaded.p50,
    p99_ms: loaded.p99,
    one_client_p50_ms: single.p50,
    one_client_p99_ms: single.p99,
    statements,
    server_rss_mb: Math.max(...memory.map((figures) => figures.rssMb)),
    server_peak_rss_mb: Math.max(...memory.map((figures) => figures.peakMb)),
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

const ms = (value: number | undefined) => (value === undefined ? '' : value === Infinity ? `> ${phaseSeconds * 1000}` : String(value));

interface EngineResult {
  engine: Engine;
  app_processes: number;
  size: Awaited<ReturnType<typeof datasetSize>>;
  scenarios: Measured[];
  /** PostgreSQL: the touchpoint writes again with one app process, against the two above (issue 22). */
  writes_one_process?: Measured;
  outside_http: { name: string; did: string; seconds: number; cpu_seconds: number; target_seconds?: number; met?: boolean }[];
  /** Peak resident memory (VmHWM) of each app process. */
  server_peak_rss_mb: number[];
  move?: MoveTiming;
  csv_import?: ImportTiming;
  vendor_import?: VendorImportTiming;
}

const profileFolder = path.join(cacheFolder, 'profiles');
const servers: ServerProcess[] = [];

async function startApps(databaseUrl: string, count: number, folder: string): Promise<AppServers> {
  const deployed = npmStartCommand();
  const started: AppServers = { processes: [], statementLogs: [] };
  for (let index = 0; index < count; index++) {
    const statementLog = path.join(folder, `statements-${index + 1}.jsonl`);
    const app = await startServer(deployed.entry, {
      env: { DATABASE_URL: databaseUrl, STATEMENT_LOG: statementLog },
      nodeOptions: [...deployed.nodeOptions, ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileFolder}`] : [])],
      cwd: folder,
    });
    servers.push(app);
    started.processes.push(app);
    started.statementLogs.push(statementLog);
  }
  return started;
}

async function benchEngine(engine: Engine, databaseUrl: string, folder: string, ceilingRate: number, move?: MoveTiming): Promise<EngineResult> {
  console.log(`\n${engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'}: ${appProcesses[engine]} app process${appProcesses[engine] > 1 ? 'es' : ''}.`);
  const setup = connectDatabase(databaseUrl);
  const subjects = await findSubjects(setup);
  const size = await datasetSize(setup);
  // On start the server would catch up on this week's digests for every manager and the rep's week
  // of every user (risk for each of their accounts), competing with the scenarios: everyone is
  // opted out while it serves; the digests are timed separately below.
  await setScheduledMailOptedOut(setup, true);
  await setup.destroy();

  const apps = await startApps(databaseUrl, appProcesses[engine], folder);
  const context = {
    ...subjects,
    repCookie: await signIn(apps.processes[0]!.url, subjects.rep.email, scalePassword),
    managerCookie: await signIn(apps.processes[0]!.url, subjects.manager.email, scalePassword),
  };
  const rows: Measured[] = [];
  for (const scenario of httpScenarios.filter(({ name }) => chosen(name))) {
    console.log(`  ${scenario.name}…`);
    const row = await measure(apps, scenario, scenario.requests(context));
    if (row.skipped) console.log(`    skipped: ${row.skipped}`);
    if (row.requests_per_second !== undefined) row.ceiling_share = Math.round((row.requests_per_second / ceilingRate) * 1000) / 1000;
    row.met = judge(row);
    rows.push(row);
  }
  let writesOneProcess: Measured | undefined;
  if (apps.processes.length > 1 && chosen(touchpointWrites.name)) {
    console.log(`  ${touchpointWrites.name}, one app process…`);
    writesOneProcess = await measure({ processes: apps.processes.slice(0, 1) }, { ...touchpointWrites, name: `${touchpointWrites.name}, one process` }, touchpointWrites.requests(context));
  }
  const peaks = apps.processes.map((app) => app.memory().peakMb);
  await Promise.all(apps.processes.map((app) => app.stop()));

  // Outside HTTP, in this process, on the same data (after the writes above).
  const db = connectDatabase(databaseUrl);
  await setScheduledMailOptedOut(db, false);
  const outside: EngineResult['outside_http'] = [];
  for (const timing of outsideTimings.filter(({ name }) => chosen(name))) {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const did = await timing.run(db);
    const cpu = process.cpuUsage(cpuBefore);
    const seconds = Math.round((performance.now() - started) / 10) / 100;
    const cpuSeconds = Math.round((cpu.user + cpu.system) / 10_000) / 100;
    outside.push({ name: timing.name, did, seconds, cpu_seconds: cpuSeconds, target_seconds: timing.targetSeconds[engine], met: seconds <= timing.targetSeconds[engine] });
  }
  const rep = (await findUserByEmail(db, subjects.rep.email))!;
  await db.destroy();

  // Last, as it adds thousands of accounts. SQLite only: what it measures is the write lock shared with live writers.
  let imported: ImportTiming | undefined;
  if (engine === 'sqlite' && chosen('import')) {
    console.log(`  import of a ${importRows.toLocaleString('en-US')}-row CSV…`);
    const target = subjects.writeTargets[0]!;
    imported = await timeImport({ folder, databaseUrl, rows: importRows, importer: scaleEmails.admin, writer: { user: rep, accountId: target.accountId, contactId: target.contactIds[0]! } });
  }
  let vendorImported: VendorImportTiming | undefined;
  if (engine === 'sqlite' && chosen('vendor import')) {
    console.log(`  import of a Salesforce export: ${vendorContacts.toLocaleString('en-US')} contacts, ${vendorActivities.toLocaleString('en-US')} activities…`);
    const target = subjects.writeTargets[0]!;
    vendorImported = await timeVendorImport({
      folder,
      databaseUrl,
      contacts: vendorContacts,
      activities: vendorActivities,
      importer: scaleEmails.admin,
      writer: { user: rep, accountId: target.accountId, contactId: target.contactIds[0]! },
    });
  }
  return {
    engine,
    app_processes: apps.processes.length,
    size,
    scenarios: rows,
    writes_one_process: writesOneProcess,
    outside_http: outside,
    server_peak_rss_mb: peaks,
    move,
    csv_import: imported,
    vendor_import: vendorImported,
  };
}

function printEngine(result: EngineResult) {
  const title = result.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  console.log(`\nBuychain at ${reps} reps on ${title}, ${result.app_processes} app process(es) · ${os.cpus().length} cores · Node ${process.version} · ${connections} clients for req/s and p50/p99\n`);
  const scenarioRows = [...result.scenarios, ...(result.writes_one_process ? [result.writes_one_process] : [])];
  printTable(
    ['scenario', 'req/s', '× bare', 'p50 ms', 'p99 ms', '1-client p50', '1-client p99', 'stmts', 'target at N=500', 'met'],
    scenarioRows.map((row) =>
      row.skipped
        ? [row.name, `skipped: ${row.skipped}`, '', '', '', '', '', '', describeTarget(row.target), '']
        : [
            row.name,
            String(row.requests_per_second),
            row.ceiling_share?.toFixed(2) ?? '',
            ms(row.p50_ms),
            ms(row.p99_ms),
            ms(row.one_client_p50_ms),
            ms(row.one_client_p99_ms),
            row.statements === undefined ? '' : String(row.statements),
            describeTarget(row.target),
            row.met === undefined ? '' : row.met ? 'yes' : 'NO',
          ],
    ),
  );
  console.log('');
  printTable(
    ['outside HTTP', 'work', 'seconds', 'CPU s (Node)', 'target', 'met'],
    result.outside_http.map((row) => [row.name, row.did, row.seconds.toFixed(2), row.cpu_seconds.toFixed(2), row.target_seconds === undefined ? '—' : `≤ ${row.target_seconds} s`, row.met === undefined ? '' : row.met ? 'yes' : 'NO']),
  );
  if (result.move) console.log(`\nMove from SQLite (cli move): ${result.move.seconds.toFixed(1)} s, ${result.move.cpu_seconds.toFixed(1)} CPU s in the command, peak ${result.move.peak_rss_mb} MB. ${result.move.output}`);
  const imported = result.csv_import;
  if (imported) {
    console.log('');
    printTable(
      ['CSV import (command line)', 'seconds', 'CPU s', 'peak RSS MB', 'writes beside', 'failed', 'longest wait ms'],
      [[`${imported.rows.toLocaleString('en-US')} rows, ${imported.file_mb} MB`, imported.seconds.toFixed(2), imported.cpu_seconds.toFixed(2), String(imported.peak_rss_mb), String(imported.writes_beside), String(imported.failed_writes_beside), String(imported.longest_write_wait_ms)]],
    );
    console.log(`  ${imported.output}`);
  }
  const vendorImported = result.vendor_import;
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
  }
  const peak = Math.max(...result.server_peak_rss_mb);
  console.log(`\nApp process peak memory (VmHWM): ${result.server_peak_rss_mb.join(' MB, ')} MB (target ≤ 300 MB each: ${peak <= 300 ? 'met' : 'NOT met'})`);
}

/** One-client p99 and statements per scenario on both engines, and PostgreSQL's p99 as a multiple of SQLite's. */
function comparison(sqlite: EngineResult, postgres: EngineResult) {
  return sqlite.scenarios
    .filter((row) => !row.skipped)
    .map((row) => {
      const other = postgres.scenarios.find((candidate) => candidate.name === row.name);
      const ratio = other?.one_client_p99_ms !== undefined && row.one_client_p99_ms ? Math.round((other.one_client_p99_ms / row.one_client_p99_ms) * 10) / 10 : undefined;
      return { name: row.name, sqlite_statements: row.statements, postgres_statements: other?.statements, sqlite_one_client_p99_ms: row.one_client_p99_ms, postgres_one_client_p99_ms: other?.one_client_p99_ms, ratio, within_2x: ratio === undefined ? undefined : ratio <= 2 };
    });
}

const cached = await cachedDataset(reps);
const results: EngineResult[] = [];
let cluster: ThrowawayCluster | undefined;
let exitCode = 0;
const folders: string[] = [];
try {
  const ceiling = await startServer('bench/ceiling-server.ts');
  servers.push(ceiling);
  console.log(`Scenarios: ${phaseSeconds} s with one client, then ${phaseSeconds} s with ${connections}.`);
  const bare = await measure({ processes: [ceiling] }, { name: 'bare Express + Handlebars page (ceiling)', target: {}, status: 200 }, [{ method: 'GET', path: '/', headers: {} }]);
  if (bare.skipped) throw new Error(`The ceiling page ${bare.skipped}`);
  bare.ceiling_share = 1;
  await ceiling.stop();
  buildServer();

  for (const engine of engines) {
    if (engine === 'sqlite') {
      const copyStarted = performance.now();
      const run = runFolder(cached);
      folders.push(run.folder);
      console.log(`Copied it for this run in ${((performance.now() - copyStarted) / 1000).toFixed(1)} s.`);
      results.push(await benchEngine('sqlite', `sqlite:${run.database}`, run.folder, bare.requests_per_second!));
    } else {
      const folder = path.join(cacheFolder, `run-${process.pid}-postgres`);
      fs.mkdirSync(folder, { recursive: true });
      folders.push(folder);
      const given = process.env.BENCH_DATABASE_URL;
      if (!given) cluster = await startThrowawayCluster(clusterSettings);
      const url = given ?? cluster!.url;
      // A BENCH_DATABASE_URL that already holds a company (an earlier run's move) is used as it is.
      const target = connectDatabase(url);
      const holdsCompany = given !== undefined && (await hasAnyUser(target));
      await target.destroy();
      let move: MoveTiming | undefined;
      if (holdsCompany) console.log('\nBENCH_DATABASE_URL already holds a company: used as it is, not moved again.');
      else {
        console.log(`\nMoving the company into PostgreSQL${cluster ? ` ${cluster.version} (throwaway cluster)` : ''}…`);
        move = await timeMove(cached, url);
        console.log(`  ${move.output} (${move.seconds.toFixed(1)} s wall, ${move.cpu_seconds.toFixed(1)} CPU s, peak ${move.peak_rss_mb} MB)`);
      }
      results.push(await benchEngine('postgres', url, folder, bare.requests_per_second!, move));
    }
  }

  console.log(`\nBare Express + Handlebars page (ceiling): ${bare.requests_per_second} req/s, p99 ${ms(bare.p99_ms)} ms with ${connections} clients.`);
  for (const result of results) printEngine(result);
  const [sqlite, postgres] = [results.find((result) => result.engine === 'sqlite'), results.find((result) => result.engine === 'postgres')];
  const compared = sqlite && postgres ? comparison(sqlite, postgres) : undefined;
  if (compared) {
    console.log('\nPostgreSQL (two app processes) beside SQLite (one), one client at a time:\n');
    printTable(
      ['scenario', 'stmts SQLite', 'stmts PG', '1-client p99 SQLite', '1-client p99 PG', 'PG / SQLite', '≤ 2×'],
      compared.map((row) => [row.name, String(row.sqlite_statements ?? ''), String(row.postgres_statements ?? ''), ms(row.sqlite_one_client_p99_ms), ms(row.postgres_one_client_p99_ms), row.ratio?.toFixed(1) ?? '', row.within_2x === undefined ? '' : row.within_2x ? 'yes' : 'NO']),
    );
  }
  if (values.profile) console.log(`CPU profile of the server: ${path.relative(process.cwd(), profileFolder)}/*.cpuprofile`);

  for (const result of results) {
    const failed = [...result.scenarios, ...(result.writes_one_process ? [result.writes_one_process] : [])].filter((row) => row.failures);
    for (const row of failed) console.error(`${result.engine}: ${row.name}: ${row.skipped ?? `${row.failures} failed requests`}`);
    if (failed.length > 0 || (result.csv_import?.failed_writes_beside ?? 0) > 0 || (result.vendor_import?.failed_writes_beside ?? 0) > 0) exitCode = 1;
  }

  fs.writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        measured_at: new Date().toISOString(),
        scale: { reps },
        machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, load_average: os.loadavg().map((value) => Math.round(value * 100) / 100) },
        method: { seconds_per_phase: phaseSeconds, connections, postgres_cluster: cluster ? clusterSettings : process.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : undefined },
        ceiling: bare,
        engines: results,
        comparison: compared,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Wrote ${resultsFile}.`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  cluster?.stop();
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
}
process.exitCode = exitCode;
