import { setTimeout as sleep } from 'node:timers/promises';
import { type ExpressionBuilder, sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import { isOneOf, isPostgres } from '../db/dialect.js';
import { kindNeedsParticipants, type TouchpointKind, touchpointKinds, type TouchpointLocation } from '../touchpoints/touchpoints.table.js';
import { type FieldRow, idList, instantOf, locationOf } from './vendor-files.js';
import { addProblem, displayId, inTransaction, newTally, ownerOf, type Run, type Tally, translate } from './vendor-run.js';
import { valueKey } from './vendors/vendor-table.js';

// History (calls, meetings, emails, notes) from the vendor's activity files, in two steps:
//
// 1. Staging. Each batch of rows is checked (kind, date, lengths) and written to two temporary
//    tables of this connection: the activity, and the ids of the people it names. A temporary table
//    is not the database file, so staging a million rows neither takes the write lock nor fills the
//    write-ahead log.
// 2. Writing. Once every activity file is staged, the ids are resolved, duplicates and activities
//    imported before are set aside and the problem rows listed, each by a few set-based statements.
//    Then the touchpoints and their participants are written in account order, a chunk per short
//    transaction, each by one INSERT … SELECT: an account's history lands on neighbouring pages of
//    every index instead of one page per activity all over the file.
//
// Each touchpoint keeps its record's key (import_key, unique within the account), which makes a
// second import of the same files create nothing twice, and lets two imports of the same files run
// at once.

/** An activity kept for writing; status says what became of it. */
interface StagedActivitiesTable {
  seq: number;
  file: number;
  line: number;
  source_id: string;
  import_key: string;
  kind: TouchpointKind;
  occurred_at: string;
  location: TouchpointLocation;
  /** The place written, kept only when it decides the location (whether it is the customer's own name). */
  place: string | null;
  summary: string;
  internal_notes: string;
  author_id: number;
  account_ref: string | null;
  account_id: number | null;
  /** 1 when account_ref named an account of the files or imported before. */
  account_ref_found: number;
  status: StagedStatus;
}

type StagedStatus = 'new' | 'duplicate' | 'existing' | 'no_account' | 'nobody';

/** A person an activity names, in the order given (the first found decides the account when no company is named). */
interface StagedParticipantsTable {
  seq: number;
  position: number;
  ref: string;
  contact_id: number | null;
  contact_account: number | null;
}

type StagingTables = {
  staged_activities: StagedActivitiesTable;
  staged_participants: StagedParticipantsTable;
};

const staging = (db: DbOrTx) => db.withTables<StagingTables>();
type Staging = ReturnType<typeof staging>;

/** Activities per chunk written at first; a chunk that holds the write lock longer than the target halves the next. */
const firstChunkRows = 2000;
const chunkRowsRange = { min: 200, max: 50_000 };
const chunkTargetMs = 250;
/**
 * The pause after each chunk on SQLite. A writer kept waiting by a chunk retries on SQLite's busy
 * handler, which sleeps up to 100 ms between tries; chunks one after another with no gap would take
 * the lock back before it woke, every time, until its 2 s ran out.
 */
const sqliteGapMs = 100;
/** Rows per multi-row INSERT into the staging tables (SQLite takes at most 32,766 values in one statement). */
const stagedPerInsert = 1000;
/** Problem rows and places read back a page at a time. */
const pageRows = 2000;
const summaryLimit = 5000;

const peopleKinds = touchpointKinds.filter(kindNeedsParticipants);

/** Creates this connection's staging tables (anew: a run that crashed may have left them on a pooled connection). */
export async function startStaging(db: DbOrTx): Promise<void> {
  await dropStaging(db);
  await db.schema
    .createTable('staged_activities')
    .temporary()
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('file', 'integer', (c) => c.notNull())
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('source_id', 'text', (c) => c.notNull())
    .addColumn('import_key', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('place', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('internal_notes', 'text', (c) => c.notNull())
    .addColumn('author_id', 'integer', (c) => c.notNull())
    .addColumn('account_ref', 'text')
    .addColumn('account_id', 'integer')
    .addColumn('account_ref_found', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('new'))
    .execute();
  await db.schema
    .createTable('staged_participants')
    .temporary()
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'integer')
    .addColumn('contact_account', 'integer')
    .execute();
}

export async function dropStaging(db: DbOrTx): Promise<void> {
  await db.schema.dropTable('staged_participants').ifExists().execute();
  await db.schema.dropTable('staged_activities').ifExists().execute();
}

/** The touchpoint kind of an activity; null: not history (a to-do); a string: the problem. */
function kindOf(run: Run, fields: FieldRow['fields']): TouchpointKind | null | { problem: string } {
  const { file, table } = run.file;
  // Salesforce: a task's subtype (Call, Email) says more than its type; a plain "Task" subtype says nothing.
  const value = fields.subkind && valueKey(fields.subkind) !== 'TASK' ? fields.subkind : fields.kind;
  if (!value) return file.kind_of_every_row ?? { problem: 'the activity has no type' };
  const becomes = translate(run, 'type', table.kinds, value);
  if (becomes) return becomes;
  if (file.kind_of_every_row) return file.kind_of_every_row;
  return becomes === null ? null : { problem: `activity type "${value}" is not one Buychain knows (calls, meetings, emails, notes)` };
}

/** Checks a batch of activity rows and stages those that are history; planned ones and to-dos are only counted. */
export async function stageActivities(run: Run, batch: FieldRow[], zone: string, tallyNotHistory: () => void): Promise<Tally> {
  const tally = newTally();
  const activities: StagedActivitiesTable[] = [];
  const participants: StagedParticipantsTable[] = [];
  for (const { line, fields } of batch) {
    if (run.file.table.done && fields.done !== undefined && !run.file.table.done.includes(valueKey(fields.done))) {
      tallyNotHistory();
      continue;
    }
    const kind = kindOf(run, fields);
    if (kind === null) {
      tallyNotHistory();
      continue;
    }
    if (typeof kind === 'object') {
      tally.problems.push({ line, message: kind.problem });
      continue;
    }
    const when = fields.occurred_at ?? fields.occurred_on;
    const occurredAt = instantOf(when, fields.occurred_time, zone);
    if (!fields.source_id) tally.problems.push({ line, message: 'the activity has no id' });
    else if (!occurredAt) tally.problems.push({ line, message: when ? `the date "${when}" cannot be read: write it as YYYY-MM-DD` : 'the activity has no date' });
    else if (occurredAt > run.now) tallyNotHistory();
    else if ((fields.subject?.length ?? 0) > summaryLimit || (fields.body?.length ?? 0) > summaryLimit)
      tally.problems.push({ line, message: `the subject or the notes are longer than ${summaryLimit} characters` });
    else {
      run.staged += 1;
      const seq = run.staged;
      // Without the account's name (not known yet) the location is final, unless the place named might be the customer's.
      const location = locationOf(kind, fields.location, '');
      activities.push({
        seq,
        file: run.file.index,
        line,
        source_id: fields.source_id,
        import_key: `${run.user.id}/${run.vendor}/${fields.source_id}`,
        kind,
        occurred_at: occurredAt,
        location,
        place: location === 'outside_office' ? fields.location! : null,
        summary: fields.subject ?? '',
        internal_notes: fields.body ?? '',
        author_id: ownerOf(run, fields),
        account_ref: idList(fields.account_id)[0] ?? null,
        account_id: null,
        account_ref_found: 0,
        status: 'new',
      });
      idList(fields.contact_ids).forEach((ref, position) => participants.push({ seq, position, ref, contact_id: null, contact_account: null }));
    }
  }
  const stage = staging(run.db);
  for (let start = 0; start < activities.length; start += stagedPerInsert) await stage.insertInto('staged_activities').values(activities.slice(start, start + stagedPerInsert)).execute();
  for (let start = 0; start < participants.length; start += stagedPerInsert) await stage.insertInto('staged_participants').values(participants.slice(start, start + stagedPerInsert)).execute();
  return tally;
}

const isNew = (eb: ExpressionBuilder<StagingTables, 'staged_activities'>) => eb('staged_activities.status', '=', 'new');

/**
 * Resolves and classifies what was staged (statements on the staging tables only: no write lock),
 * lists the problem rows, then writes the history: see the top of this file.
 */
export async function writeStagedActivities(run: Run, onProgress?: (written: number, of: number) => void): Promise<void> {
  const stage = staging(run.db);
  await stage.schema.createIndex('staged_activities_key').on('staged_activities').columns(['import_key', 'seq']).execute();
  await stage.schema.createIndex('staged_participants_activity').on('staged_participants').columns(['seq', 'position']).execute();

  // A record twice in the files: the first row stands, the others are problem rows.
  await stage
    .updateTable('staged_activities')
    .set({ status: 'duplicate' })
    .where(({ exists, selectFrom }) =>
      exists(selectFrom('staged_activities as first').select('first.seq').whereRef('first.import_key', '=', 'staged_activities.import_key').whereRef('first.seq', '<', 'staged_activities.seq')),
    )
    .execute();

  // The people and companies named, through what the files' records became (each staged row looks
  // its id up: a join in UPDATE … FROM lets SQLite's planner scan the whole id table instead).
  const recordOf = (object: 'contact' | 'account', sourceId: 'staged_participants.ref' | 'staged_activities.account_ref') =>
    stage
      .selectFrom('import_source_ids as source')
      .select('source.our_id')
      .where('source.scope', '=', run.user.id)
      .where('source.source', '=', run.vendor)
      .where('source.object', '=', object)
      .where('source.source_id', '=', sql.ref<string>(sourceId));
  await stage
    .updateTable('staged_participants')
    .set({ contact_id: recordOf('contact', 'staged_participants.ref') })
    .execute();
  await stage
    .updateTable('staged_participants')
    .set((eb) => ({ contact_account: eb.selectFrom('contacts').select('contacts.account_id').whereRef('contacts.id', '=', 'staged_participants.contact_id') }))
    .where('contact_id', 'is not', null)
    .execute();
  await stage
    .updateTable('staged_activities')
    .set({ account_id: recordOf('account', 'staged_activities.account_ref') })
    .where(isNew)
    .where('account_ref', 'is not', null)
    .execute();
  await stage
    .updateTable('staged_activities')
    .set({ account_ref_found: 1 })
    .where(isNew)
    .where('account_id', 'is not', null)
    .where(({ exists, selectFrom }) => exists(selectFrom('accounts').select('accounts.id').whereRef('accounts.id', '=', 'staged_activities.account_id')))
    .execute();
  await stage.updateTable('staged_activities').set({ account_id: null }).where(isNew).where('account_ref_found', '=', 0).execute();
  // No company named (or not found): the account of the first person found.
  await stage
    .updateTable('staged_activities')
    .set((eb) => ({
      account_id: eb
        .selectFrom('staged_participants')
        .select('staged_participants.contact_account')
        .whereRef('staged_participants.seq', '=', 'staged_activities.seq')
        .where('staged_participants.contact_account', 'is not', null)
        .orderBy('staged_participants.position')
        .limit(1),
    }))
    .where(isNew)
    .where('account_id', 'is', null)
    .execute();
  // Imported before (the key is unique within the account the record resolves to).
  await stage
    .updateTable('staged_activities')
    .set({ status: 'existing' })
    .where(isNew)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('touchpoints')
          .select('touchpoints.id')
          .whereRef('touchpoints.account_id', '=', 'staged_activities.account_id')
          .whereRef('touchpoints.import_key', '=', 'staged_activities.import_key'),
      ),
    )
    .execute();
  await countIds(run, stage);
  await stage.updateTable('staged_activities').set({ status: 'no_account' }).where(isNew).where('account_id', 'is', null).execute();
  // Someone who took part must be known, at that account (except for a note).
  await stage
    .updateTable('staged_activities')
    .set({ status: 'nobody' })
    .where(isNew)
    .where('kind', 'in', peopleKinds)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('staged_participants')
            .select('staged_participants.seq')
            .whereRef('staged_participants.seq', '=', 'staged_activities.seq')
            .whereRef('staged_participants.contact_account', '=', 'staged_activities.account_id'),
        ),
      ),
    )
    .execute();
  await placesAtTheCustomer(stage);
  await listProblems(run, stage);

  const existing = await stage.selectFrom('staged_activities').select((eb) => eb.fn.countAll<number>().as('count')).where('status', '=', 'existing').executeTakeFirstOrThrow();
  run.report.touchpoints.existing += Number(existing.count);
  await stage.schema.createIndex('staged_activities_write').on('staged_activities').columns(['status', 'account_id', 'seq']).execute();
  const created = await writeInAccountOrder(run, stage, onProgress);
  run.report.touchpoints.created += created.written;
  // Another import of the same files wrote some of them first.
  run.report.touchpoints.existing += created.wanted - created.written;
  const touched = await stage.selectFrom('staged_activities').select('account_id').distinct().where(isNew).execute();
  for (const { account_id } of touched) run.touched.add(account_id!);
}

/** How many ids the new activities named, and how many of them are in the files or imported before. */
async function countIds(run: Run, stage: Staging): Promise<void> {
  const people = await stage
    .selectFrom('staged_participants')
    .innerJoin('staged_activities', 'staged_activities.seq', 'staged_participants.seq')
    .select((eb) => [eb.fn.countAll<number>().as('named'), eb.fn.count<number>('staged_participants.contact_id').as('found')])
    .where(isNew)
    .executeTakeFirstOrThrow();
  const companies = await stage
    .selectFrom('staged_activities')
    .select((eb) => [eb.fn.count<number>('account_ref').as('named'), eb.fn.sum<number>('account_ref_found').as('found')])
    .where(isNew)
    .executeTakeFirstOrThrow();
  const found = Number(people.found) + Number(companies.found ?? 0);
  run.report.ids.resolved += found;
  run.report.ids.unknown += Number(people.named) + Number(companies.named) - found;
}

/** A meeting whose place is the customer's own name is at the customer's office, not outside. */
async function placesAtTheCustomer(stage: Staging): Promise<void> {
  let after = 0;
  for (;;) {
    const page = await stage
      .selectFrom('staged_activities')
      .innerJoin('accounts', 'accounts.id', 'staged_activities.account_id')
      .select(['staged_activities.seq', 'staged_activities.kind', 'staged_activities.place', 'accounts.name'])
      .where(isNew)
      .where('staged_activities.place', 'is not', null)
      .where('staged_activities.seq', '>', after)
      .orderBy('staged_activities.seq')
      .limit(pageRows)
      .execute();
    if (page.length === 0) return;
    after = page.at(-1)!.seq;
    const atTheCustomer = page.filter((row) => locationOf(row.kind, row.place!, row.name) === 'customer_office').map((row) => row.seq);
    if (atTheCustomer.length > 0) await stage.updateTable('staged_activities').set({ location: 'customer_office' }).where(isOneOf(stage, 'seq', atTheCustomer)).execute();
  }
}

/** Every problem row counted; as many as the report lists, each with its reason. */
async function listProblems(run: Run, stage: Staging): Promise<void> {
  const problemStatuses: StagedStatus[] = ['duplicate', 'no_account', 'nobody'];
  const counted = await stage.selectFrom('staged_activities').select((eb) => eb.fn.countAll<number>().as('count')).where('status', 'in', problemStatuses).executeTakeFirstOrThrow();
  const total = Number(counted.count);
  let listed = 0;
  let after = 0;
  while (listed < total && run.report.problems.length < run.sampleSize) {
    const page = await stage
      .selectFrom('staged_activities as row')
      .leftJoin('staged_activities as first', (join) => join.onRef('first.import_key', '=', 'row.import_key').on('row.status', '=', 'duplicate').on('first.status', '<>', 'duplicate'))
      .select(['row.seq', 'row.file', 'row.line', 'row.source_id', 'row.status', 'row.account_ref', 'row.account_ref_found', 'first.file as first_file', 'first.line as first_line'])
      .where('row.status', 'in', problemStatuses)
      .where('row.seq', '>', after)
      .orderBy('row.seq')
      .limit(Math.min(pageRows, run.sampleSize - run.report.problems.length))
      .execute();
    if (page.length === 0) break;
    after = page.at(-1)!.seq;
    const unknownRefs = new Map<number, string[]>();
    const named = await stage
      .selectFrom('staged_participants')
      .select(['seq', 'ref'])
      .where(isOneOf(stage, 'seq', page.map((row) => row.seq)))
      .where('contact_id', 'is', null)
      .orderBy('seq')
      .orderBy('position')
      .execute();
    for (const { seq, ref } of named) unknownRefs.set(seq, [...(unknownRefs.get(seq) ?? []), ref]);
    for (const row of page) {
      const fileName = run.report.files[row.file]?.name ?? '';
      const unknown = [...(unknownRefs.get(row.seq) ?? []), ...(row.account_ref && !row.account_ref_found ? [row.account_ref] : [])];
      const missing = `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in the files, nor imported before`;
      let message: string;
      if (row.status === 'duplicate') {
        const where = row.first_file !== null && row.first_file !== row.file ? `${run.report.files[row.first_file]?.name ?? 'another file'} row ${row.first_line}` : `row ${row.first_line}`;
        message = `the same activity (${displayId(row.source_id)}) as ${where}: a duplicate row, skipped`;
      } else if (row.status === 'no_account') message = `no account: ${unknown.length > 0 ? missing : 'the activity names no contact or company'}`;
      else message = `nobody who took part is known: ${unknown.length > 0 ? `${unknown.join(', ')} not in the files` : 'the activity names no contact'}`;
      addProblem(run, fileName, row.line, message);
      listed += 1;
    }
  }
  // The rest are counted, not listed.
  run.report.problemCount += total - listed;
}

/** Writes the new activities and their participants, a chunk of accounts per transaction; answers how many were wanted and written. */
async function writeInAccountOrder(run: Run, stage: Staging, onProgress?: (written: number, of: number) => void): Promise<{ wanted: number; written: number }> {
  const counted = await stage.selectFrom('staged_activities').select((eb) => eb.fn.countAll<number>().as('count')).where(isNew).executeTakeFirstOrThrow();
  const wanted = Number(counted.count);
  let written = 0;
  let done = 0;
  let chunkRows = firstChunkRows;
  let start: [number, number] = [0, 0];
  while (done < wanted) {
    const end = await stage
      .selectFrom('staged_activities')
      .select(['account_id', 'seq'])
      .where(isNew)
      .where((eb) => eb(eb.refTuple('account_id', 'seq'), '>', eb.tuple(start[0], start[1])))
      .orderBy('account_id')
      .orderBy('seq')
      .limit(1)
      .offset(chunkRows - 1)
      .executeTakeFirst();
    const inChunk = (db: Staging) =>
      db
        .selectFrom('staged_activities')
        .where(isNew)
        .where((eb) => eb(eb.refTuple('staged_activities.account_id', 'staged_activities.seq'), '>', eb.tuple(start[0], start[1])))
        .$if(end !== undefined, (query) => query.where((eb) => eb(eb.refTuple('staged_activities.account_id', 'staged_activities.seq'), '<=', eb.tuple(end!.account_id!, end!.seq))));
    const started = performance.now();
    written += await inTransaction(run.db, async (trx) => {
      const chunk = staging(trx);
      const inserted = await trx
        .insertInto('touchpoints')
        .columns(['account_id', 'author_id', 'kind', 'occurred_at', 'location', 'summary', 'internal_notes', 'created_at', 'import_key'])
        .expression(
          inChunk(chunk)
            .select((eb) => [
              eb.ref('account_id').$notNull().as('account_id'),
              'author_id',
              'kind',
              'occurred_at',
              'location',
              'summary',
              'internal_notes',
              sql<string>`cast(${run.now} as text)`.as('created_at'),
              'import_key',
            ])
            .orderBy('account_id')
            .orderBy('occurred_at'),
        )
        .onConflict((conflict) => conflict.doNothing())
        .executeTakeFirst();
      await trx
        .insertInto('touchpoint_contacts')
        .columns(['touchpoint_id', 'contact_id', 'account_id', 'occurred_at', 'kind', 'location'])
        .expression(
          inChunk(chunk)
            .innerJoin('staged_participants', (join) =>
              join.onRef('staged_participants.seq', '=', 'staged_activities.seq').onRef('staged_participants.contact_account', '=', 'staged_activities.account_id'),
            )
            // The touchpoint looked up by its key for each row: as a join, SQLite's planner would rather walk the touchpoints by account.
            .select((eb) => [
              eb
                .selectFrom('touchpoints')
                .select('touchpoints.id')
                .whereRef('touchpoints.account_id', '=', 'staged_activities.account_id')
                .whereRef('touchpoints.import_key', '=', 'staged_activities.import_key')
                .$asScalar()
                .$notNull()
                .as('touchpoint_id'),
              eb.ref('staged_participants.contact_id').$notNull().as('contact_id'),
              eb.ref('staged_activities.account_id').$notNull().as('account_id'),
              'staged_activities.occurred_at',
              'staged_activities.kind',
              'staged_activities.location',
            ])
            .distinct()
            .orderBy('account_id')
            .orderBy('contact_id'),
        )
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0);
    });
    done += end ? chunkRows : wanted - done;
    if (!end) break;
    start = [end.account_id!, end.seq];
    const tookMs = performance.now() - started;
    // (A dry run holds the lock throughout: nobody gets in until it rolls back.)
    if (!isPostgres(run.db) && !run.db.isTransaction) await sleep(sqliteGapMs);
    chunkRows = tookMs > chunkTargetMs ? Math.max(chunkRowsRange.min, Math.round(chunkRows / 2)) : tookMs < chunkTargetMs / 3 ? Math.min(chunkRowsRange.max, chunkRows * 2) : chunkRows;
    onProgress?.(done, wanted);
  }
  onProgress?.(wanted, wanted);
  return { wanted, written };
}
