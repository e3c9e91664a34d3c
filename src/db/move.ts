import { once } from 'node:events';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connectDatabase, postgresSettings } from './connect.js';
import { migrateToLatest } from './migrate.js';
import { appliedMigrations, tablesInDependencyOrder } from './transfer.js';

// `npm run cli -- move --to postgres://…`: the whole company from a SQLite file into an empty
// PostgreSQL database, table by table, streamed. Rows are read one at a time from SQLite and written
// with COPY in chunks of about a megabyte, so memory stays flat whatever the company's size. The
// target's secondary indexes and foreign keys are set aside during the load and built once at the
// end (one sort per index instead of ten million insertions); everything happens in one
// transaction, so the target ends with the whole company or nothing.

export interface MoveReport {
  tables: { name: string; rows: number; seconds: number }[];
  /** Building the indexes and checking the foreign keys after the load. */
  indexSeconds: number;
  seconds: number;
}

/** Text sent per COPY write; the stream's backpressure keeps at most a few of these in memory. */
const chunkChars = 1 << 20;

/** A value in COPY's text format: \N for null, backslash escapes for the separators. */
function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return /[\\\n\r\t]/.test(value) ? value.replace(/[\\\n\r\t]/g, (char) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[char]!) : value;
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  return String(value);
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function moveToPostgres(sourceFile: string, targetUrl: string, log: (line: string) => void = () => undefined): Promise<MoveReport> {
  const started = performance.now();
  const sqlite = new SqliteDatabase(sourceFile, { readonly: true, fileMustExist: true });
  const source = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
  const target = connectDatabase(targetUrl);
  const client = new pg.Client({ connectionString: targetUrl, application_name: `${postgresSettings.application_name} move` });
  try {
    await migrateToLatest(target);
    const [sourceMigrations, targetMigrations] = await Promise.all([appliedMigrations(source), appliedMigrations(target)]);
    if (sourceMigrations.join() !== targetMigrations.join())
      throw new Error(`${sourceFile} is at migration ${sourceMigrations.at(-1)}, this Buychain at ${targetMigrations.at(-1)}: run "npm run cli -- migrate" on the SQLite file first.`);
    if (await target.selectFrom('users').select('id').limit(1).executeTakeFirst()) throw new Error('Move only into an empty PostgreSQL database: this one already has users.');
    const plans = await tablesInDependencyOrder(source);

    await client.connect();
    client.on('error', () => undefined);
    await client.query(`set statement_timeout = 0`);
    await client.query(`set maintenance_work_mem = '256MB'`);
    await client.query('begin');
    const names = plans.map((plan) => plan.name);
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select indexname as name, indexdef as definition from pg_indexes
       where schemaname = current_schema() and tablename = any($1)
         and indexname not in (select conname from pg_constraint where contype in ('p', 'u', 'x'))`,
      [names],
    );
    const { rows: keys } = await client.query<{ table: string; name: string; definition: string }>(
      `select conrelid::regclass::text as "table", conname as name, pg_get_constraintdef(oid) as definition
       from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace`,
    );
    for (const key of keys) await client.query(`alter table ${key.table} drop constraint ${quoted(key.name)}`);
    for (const index of indexes) await client.query(`drop index ${quoted(index.name)}`);
    // The lists the migrations filled in (e.g. complaint categories) are in the source too, ids included.
    await client.query(`truncate ${names.map(quoted).join(', ')}`);

    const report: MoveReport = { tables: [], indexSeconds: 0, seconds: 0 };
    for (const plan of plans) {
      const tableStarted = performance.now();
      const columns = plan.columns.map(quoted).join(', ');
      const copy = client.query(copyFrom(`copy ${quoted(plan.name)} (${columns}) from stdin`));
      const done = new Promise<void>((resolve, reject) => {
        copy.on('finish', resolve);
        copy.on('error', reject);
      });
      let chunk = '';
      let rows = 0;
      const reading = sqlite.prepare(`select ${columns} from ${quoted(plan.name)}`).raw();
      for (const row of reading.iterate() as Iterable<unknown[]>) {
        chunk += `${row.map(copyText).join('\t')}\n`;
        rows += 1;
        if (chunk.length >= chunkChars) {
          if (!copy.write(chunk)) await once(copy, 'drain');
          chunk = '';
        }
        if (rows % 1_000_000 === 0) log(`  ${plan.name}: ${rows.toLocaleString('en-US')} rows (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      }
      copy.end(chunk);
      await done;
      const seconds = (performance.now() - tableStarted) / 1000;
      report.tables.push({ name: plan.name, rows, seconds });
      if (rows > 0) log(`${plan.name}: ${rows.toLocaleString('en-US')} rows in ${seconds.toFixed(1)} s`);
    }

    const indexStarted = performance.now();
    log(`Building ${indexes.length} indexes and checking ${keys.length} foreign keys…`);
    for (const index of indexes) await client.query(index.definition);
    for (const key of keys) await client.query(`alter table ${key.table} add constraint ${quoted(key.name)} ${key.definition}`);
    for (const plan of plans.filter((candidate) => candidate.hasSerialId))
      await client.query(`select setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 1), max(id) is not null) from ${quoted(plan.name)}`, [plan.name]);
    await client.query('commit');
    await client.query('analyze');
    report.indexSeconds = (performance.now() - indexStarted) / 1000;
    report.seconds = (performance.now() - started) / 1000;
    return report;
  } finally {
    await client.end().catch(() => undefined);
    await target.destroy();
    await source.destroy();
  }
}
