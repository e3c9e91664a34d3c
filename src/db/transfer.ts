import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { DEFAULT_MIGRATION_TABLE, type Kysely, type TableMetadata, sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { type ForeignKey, foreignKeys, resetIdSequences } from './dialect.js';
import { migrateToLatest } from './migrate.js';

// The whole database as one JSON document, to move a company between SQLite and PostgreSQL (either way).
// Rows keep their ids; tables come parents first, so the file reads top to bottom like the schema.

export const exportFormat = 'buychain-export';
export const exportFormatVersion = 1;

const exportSchema = z.object({
  format: z.literal(exportFormat, { error: `Not a Buychain export (expected "format": "${exportFormat}")` }),
  version: z.literal(exportFormatVersion, { error: `This Buychain can read export format version ${exportFormatVersion} only` }),
  migrations: z.array(z.string()),
  tables: z.array(z.object({ name: z.string(), rows: z.array(z.record(z.string(), z.unknown())) })),
});

export interface TablePlan {
  name: string;
  columns: string[];
  /** Columns referring to the same table (e.g. reports-to): set after every row of the table is in. */
  selfReferences: string[];
  hasSerialId: boolean;
}

function planOf(table: TableMetadata, keys: ForeignKey[]): TablePlan {
  return {
    name: table.name,
    columns: table.columns.map((column) => column.name),
    selfReferences: keys.filter((key) => key.table === table.name && key.references === table.name).map((key) => key.column),
    hasSerialId: table.columns.some((column) => column.name === 'id' && column.isAutoIncrementing),
  };
}

/** The application's tables (not Kysely's migration bookkeeping), every table after those it refers to. */
export async function tablesInDependencyOrder(db: Kysely<any>): Promise<TablePlan[]> {
  const [tables, keys] = await Promise.all([db.introspection.getTables(), foreignKeys(db)]);
  // SQLite's full-text tables (and their shadow tables) are derived from the rows and kept by triggers.
  const pending = new Map(tables.filter((table) => !/_fts(_|$)/.test(table.name)).map((table) => [table.name, table]));
  const ordered: TablePlan[] = [];
  while (pending.size > 0) {
    const ready = [...pending.values()]
      .filter((table) => keys.every((key) => key.table !== table.name || key.references === table.name || !pending.has(key.references)))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (ready.length === 0) throw new Error(`Foreign keys form a cycle between ${[...pending.keys()].join(', ')}`);
    for (const table of ready) {
      pending.delete(table.name);
      ordered.push(planOf(table, keys));
    }
  }
  return ordered;
}

export async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const rows = await db.selectFrom(DEFAULT_MIGRATION_TABLE).select('name').orderBy('name').execute();
  return rows.map((row) => row.name as string);
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/**
 * Writes every table to `out`. Run it against a quiet database (or a backup) for a consistent picture:
 * tables are read one after another. Returns the row count of each table.
 */
export async function exportDatabase(db: Kysely<any>, clock: Clock, out: Writable): Promise<Record<string, number>> {
  const plans = await tablesInDependencyOrder(db);
  const header = { format: exportFormat, version: exportFormatVersion, exported_at: clock.now().toISOString(), migrations: await appliedMigrations(db) };
  await write(out, `${JSON.stringify(header).slice(0, -1)},"tables":[`);
  const counts: Record<string, number> = {};
  for (const [index, plan] of plans.entries()) {
    const order = plan.columns.includes('id') ? ['id'] : plan.columns;
    const rows = await order.reduce((query, column) => query.orderBy(column), db.selectFrom(plan.name).selectAll()).execute();
    await write(out, `${index === 0 ? '' : ','}\n{"name":${JSON.stringify(plan.name)},"rows":[`);
    for (const [rowIndex, row] of rows.entries()) await write(out, `${rowIndex === 0 ? '' : ','}\n${JSON.stringify(row)}`);
    await write(out, ']}');
    counts[plan.name] = rows.length;
  }
  await write(out, '\n]}\n');
  return counts;
}

/** Parameters per statement, below both SQLite's (32,766) and PostgreSQL's (65,535) limits. */
const parametersPerStatement = 30000;

function batches<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Loads an export into an empty database (one without users; migrated here first to the same schema),
 * ids included, in one transaction: it all arrives or nothing does. Returns the row count of each table.
 */
export async function importDatabase(db: Kysely<any>, file: string): Promise<Record<string, number>> {
  const parsed = exportSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]!.message}`);
  const data = parsed.data;
  await migrateToLatest(db);
  const here = await appliedMigrations(db);
  if (here.join() !== data.migrations.join())
    throw new Error(`${file} was exported from a database at migration ${data.migrations.at(-1)}; this one is at ${here.at(-1)}. Migrate both to the same version first.`);
  const plans = await tablesInDependencyOrder(db);
  const unknown = data.tables.find((table) => !plans.some((plan) => plan.name === table.name));
  if (unknown) throw new Error(`${file} has a table this database does not: ${unknown.name}`);
  if (await db.selectFrom('users').select('id').limit(1).executeTakeFirst())
    throw new Error('Import only into an empty database: this one already has users.');

  const rowsOf = new Map(data.tables.map((table) => [table.name, table.rows]));
  const counts: Record<string, number> = {};
  await db.transaction().execute(async (trx) => {
    // Without users there is no company here, only lists the migrations filled in (e.g. complaint
    // categories): the export holds the same lists, ids included, so they are replaced.
    for (const plan of [...plans].reverse()) await trx.deleteFrom(plan.name).execute();
    for (const plan of plans) {
      const rows = rowsOf.get(plan.name) ?? [];
      const values = rows.map((row) => Object.fromEntries(plan.columns.map((column) => [column, plan.selfReferences.includes(column) ? null : (row[column] ?? null)])));
      for (const batch of batches(values, Math.floor(parametersPerStatement / plan.columns.length))) await trx.insertInto(plan.name).values(batch).execute();
      for (const column of plan.selfReferences) {
        const links = rows.filter((row) => row[column] != null);
        for (const batch of batches(links, Math.floor(parametersPerStatement / 3))) {
          const target = sql`case ${sql.ref('id')} ${sql.join(batch.map((row) => sql`when ${row.id} then cast(${row[column]} as integer)`), sql` `)} end`;
          await trx.updateTable(plan.name).set(column, target).where('id', 'in', batch.map((row) => row.id)).execute();
        }
      }
      counts[plan.name] = rows.length;
    }
    await resetIdSequences(trx, plans.filter((plan) => plan.hasSerialId).map((plan) => plan.name));
  });
  return counts;
}
