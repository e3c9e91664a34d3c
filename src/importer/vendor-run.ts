import type { Db, DbOrTx } from '../db/database.js';
import type { CurrentUser } from '../users/users.service.js';
import type { ColumnPlan, FieldRow, ImportFileSource, MappingChoice } from './vendor-files.js';
import { type FileKind, type Translation, type Vendor, type VendorFile, type VendorTable, valueKey } from './vendors/vendor-table.js';

// What every part of a vendor import shares (src/importer/vendor-import.ts runs it): the report it
// fills, the run's state, and the look-ups through import_source_ids (what each record of the
// vendor became here, kept per importing user) that resolve ids across files and make a second
// import of the same files create nothing twice.

/** How many problems the report lists (with the count of all). */
export const defaultSampleSize = 200;
/** At most this many different owners and values are listed. */
const listedValues = 500;

export interface ImportCountPair {
  created: number;
  existing: number;
}

export interface VendorImportReport {
  vendor: Vendor;
  dryRun: boolean;
  files: { name: string; label: string; kind: FileKind; rows: number; columns: ColumnPlan[]; headerHash: string }[];
  translations: { field: 'roles' | 'status' | 'type'; value: string; becomes: string | null; rows: number }[];
  accounts: ImportCountPair;
  contacts: ImportCountPair;
  touchpoints: ImportCountPair;
  roles: number;
  reportsTo: number;
  ids: { resolved: number; unknown: number };
  unmatchedOwners: { owner: string; rows: number }[];
  /** Planned activities and to-dos: not history, so not touchpoints. */
  notHistory: number;
  problems: { file: string; line: number; message: string }[];
  problemCount: number;
}

export interface VendorImportOptions {
  from?: Vendor;
  dryRun?: boolean;
  /** Per file (by position), the columns a person re-mapped or ignored. */
  mappings?: MappingChoice[];
  sampleSize?: number;
  /** How far the run is, in words ("Task.csv: 5000 rows read"). */
  onProgress?: (progress: string) => void;
}

export interface PlannedFile {
  index: number;
  source: ImportFileSource;
  table: VendorTable;
  file: VendorFile;
  columns: ColumnPlan[];
}

/** What one batch found out, merged into the report once its transaction committed (a retried transaction starts a fresh one). */
export interface Tally {
  problems: { line: number; message: string }[];
  accounts: ImportCountPair;
  contacts: ImportCountPair;
  touchpoints: ImportCountPair;
  roles: number;
  resolved: number;
  unknown: number;
  touched: number[];
}

/** Accounts, contacts and touchpoints created and found, none yet. */
export const noRecordsYet = (): Pick<VendorImportReport, 'accounts' | 'contacts' | 'touchpoints'> => ({
  accounts: { created: 0, existing: 0 },
  contacts: { created: 0, existing: 0 },
  touchpoints: { created: 0, existing: 0 },
});

export const newTally = (): Tally => ({
  problems: [],
  ...noRecordsYet(),
  roles: 0,
  resolved: 0,
  unknown: 0,
  touched: [],
});

export interface Run {
  db: Db | DbOrTx;
  user: CurrentUser;
  now: string;
  runKey: string;
  vendor: Vendor;
  sampleSize: number;
  ownerByEmail: Map<string, number>;
  ownerByName: Map<string, number>;
  /** Salesforce User.csv: user id → email and name (a company's users: a few hundred rows). */
  usersById: Map<string, { email?: string; name?: string }>;
  unmatchedOwners: Map<string, number>;
  translations: Map<string, VendorImportReport['translations'][number]>;
  touched: Set<number>;
  report: VendorImportReport;
  file: PlannedFile;
  /** Activities staged so far (src/importer/vendor-activities.ts): the next one's number. */
  staged: number;
}

export type SourceRow = { source_id: string; our_id: number; run_key: string; run_file: number; run_line: number };


/** Rows per INSERT: SQLite takes at most 32,766 values in one statement. */
const rowsPerInsert = 1000;

/** Runs `insert` on the rows a statement's worth at a time, and joins the answers in order. */
export async function inChunks<Row, Answer>(rows: Row[], insert: (chunk: Row[]) => Promise<Answer[]>): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let start = 0; start < rows.length; start += rowsPerInsert) answers.push(...(await insert(rows.slice(start, start + rowsPerInsert))));
  return answers;
}

export const inTransaction = <T>(db: Db | DbOrTx, work: (trx: DbOrTx) => Promise<T>): Promise<T> =>
  db.isTransaction ? work(db) : (db as Db).transaction().execute(work);

export function addProblem(run: Run, file: string, line: number, message: string) {
  run.report.problemCount += 1;
  if (run.report.problems.length < run.sampleSize) run.report.problems.push({ file, line, message });
}

export function merge(run: Run, tally: Tally) {
  for (const problem of tally.problems) addProblem(run, run.file.source.name, problem.line, problem.message);
  for (const key of ['accounts', 'contacts', 'touchpoints'] as const) {
    run.report[key].created += tally[key].created;
    run.report[key].existing += tally[key].existing;
  }
  run.report.roles += tally.roles;
  run.report.ids.resolved += tally.resolved;
  run.report.ids.unknown += tally.unknown;
  for (const id of tally.touched) run.touched.add(id);
}

/** A value through the vendor's table: the translation, null when known and not kept, undefined when unknown. Every value is listed in the report. */
export function translate<T extends string>(run: Run, field: 'roles' | 'status' | 'type', table: Translation<T>, value: string): T | null | undefined {
  const key = valueKey(value);
  const becomes = key in table ? table[key]! : undefined;
  const seen = `${field}\u0000${key}`;
  const entry = run.translations.get(seen);
  if (entry) entry.rows += 1;
  else if (run.translations.size < listedValues) run.translations.set(seen, { field, value, becomes: becomes ?? null, rows: 1 });
  return becomes;
}

/** The owner a row names (an id from User.csv, an email or a name), among those the importing user may act for; anyone else's rows go to the importing user, and the owner is listed. */
export function ownerOf(run: Run, fields: FieldRow['fields']): number {
  const user = fields.owner_id ? run.usersById.get(fields.owner_id) : undefined;
  const label = fields.owner_id ? (user?.email ?? user?.name ?? fields.owner_id) : fields.owner;
  if (!label) return run.user.id;
  const found =
    (user?.email ? run.ownerByEmail.get(user.email.toLowerCase()) : undefined) ??
    run.ownerByEmail.get(label.toLowerCase()) ??
    run.ownerByName.get((user?.name ?? label).toLowerCase());
  if (found !== undefined) return found;
  if (run.unmatchedOwners.has(label) || run.unmatchedOwners.size < listedValues) run.unmatchedOwners.set(label, (run.unmatchedOwners.get(label) ?? 0) + 1);
  return run.user.id;
}

export async function lookUp(db: DbOrTx, run: Run, object: string, ids: string[]): Promise<Map<string, SourceRow>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, SourceRow>();
  for (let start = 0; start < unique.length; start += 1000) {
    const rows = await db
      .selectFrom('import_source_ids')
      .select(['source_id', 'our_id', 'run_key', 'run_file', 'run_line'])
      .where('scope', '=', run.user.id)
      .where('source', '=', run.vendor)
      .where('object', '=', object)
      .where('source_id', 'in', unique.slice(start, start + 1000))
      .execute();
    for (const row of rows) found.set(row.source_id, row);
  }
  return found;
}

interface Remembered {
  source_id: string;
  our_id: number;
  line: number;
  parent_source_id?: string | null;
}

/**
 * Records what these records became, stamped with this run and row. A record another import
 * recorded a moment ago keeps its first our_id: the answer says which it is.
 */
export async function remember(db: DbOrTx, run: Run, object: string, rows: Remembered[], aliasesOnly = false): Promise<Map<string, number>> {
  const kept = new Map<string, number>();
  for (let start = 0; start < rows.length; start += 500) {
    const values = rows.slice(start, start + 500).map((row) => ({
      scope: run.user.id,
      source: run.vendor,
      object,
      source_id: row.source_id,
      our_id: row.our_id,
      parent_source_id: row.parent_source_id ?? null,
      run_key: run.runKey,
      run_file: run.file.index,
      run_line: row.line,
    }));
    const query = db.insertInto('import_source_ids').values(values);
    const answered = aliasesOnly
      ? await query.onConflict((conflict) => conflict.doNothing()).returning(['source_id', 'our_id']).execute()
      : await query
          .onConflict((conflict) =>
            conflict.columns(['scope', 'source', 'object', 'source_id']).doUpdateSet((eb) => ({
              run_key: eb.ref('excluded.run_key'),
              run_file: eb.ref('excluded.run_file'),
              run_line: eb.ref('excluded.run_line'),
              parent_source_id: eb.ref('excluded.parent_source_id'),
            })),
          )
          .returning(['source_id', 'our_id'])
          .execute();
    for (const row of answered) kept.set(row.source_id, row.our_id);
  }
  return kept;
}

/**
 * Splits a batch by what is known of each record: new, imported before (with what it became), or
 * a repeat of a row earlier in this run (a problem row naming that row).
 */
export function sortOut<T extends { line: number; source_id: string }>(run: Run, tally: Tally, rows: T[], seen: Map<string, SourceRow>, what: string) {
  const fresh: T[] = [];
  const known: (T & { our_id: number })[] = [];
  const inBatch = new Map<string, number>();
  for (const row of rows) {
    const earlier = seen.get(row.source_id);
    const earlierLine = earlier?.run_key === run.runKey ? earlier.run_line : inBatch.get(row.source_id);
    if (earlierLine !== undefined) {
      const where = earlier?.run_key === run.runKey && earlier.run_file !== run.file.index ? `${run.report.files[earlier.run_file]?.name ?? 'another file'} row ${earlierLine}` : `row ${earlierLine}`;
      tally.problems.push({ line: row.line, message: `the same ${what} (${displayId(row.source_id)}) as ${where}: a duplicate row, skipped` });
      continue;
    }
    inBatch.set(row.source_id, row.line);
    if (earlier) known.push({ ...row, our_id: earlier.our_id });
    else fresh.push(row);
  }
  return { fresh, known };
}

export const displayId = (sourceId: string) => sourceId.replace(/^(name|email):/, '');

