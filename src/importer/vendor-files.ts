import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { DbOrTx } from '../db/database.js';
import type { TouchpointKind, TouchpointLocation } from '../touchpoints/touchpoints.table.js';
import { type CsvRecord, type CsvSource, readCsvRecords } from './csv-records.js';
import { cellProblem } from './import-rows.js';
import { hubspot } from './vendors/hubspot.js';
import { pipedrive } from './vendors/pipedrive.js';
import { salesforce } from './vendors/salesforce.js';
import { type FileKind, type Vendor, type VendorField, type VendorFile, type VendorTable, vendorFields } from './vendors/vendor-table.js';

// A vendor's file, read: which vendor and file it is (from its header), what each column becomes
// (the vendor's table, then any re-mapping the person chose), and its rows as fields, each cell
// checked. Also the small translations every run needs: dates, places, names.

export const vendorTables: Record<Vendor, VendorTable> = { hubspot, salesforce, pipedrive };

/**
 * A file of the run: its name, and a way to read it from the start (as often as needed); a file
 * kept in the database is read through `through`, the run's transaction when there is one.
 */
export interface ImportFileSource {
  name: string;
  open: (through?: DbOrTx) => CsvSource;
}

/** A column and what it becomes: a field, or nothing and why. */
export interface ColumnPlan {
  header: string;
  field: VendorField | null;
  /** Why the column is not kept (set when field is null). */
  reason?: string;
}

/** Header (as written) → field, or "" to ignore it: what a person chose on the page. */
export type MappingChoice = Record<string, VendorField | ''>;

export interface RecognisedFile {
  table: VendorTable;
  file: VendorFile;
  header: string[];
  columns: ColumnPlan[];
}

const lower = (text: string) => text.trim().toLowerCase();

/** A hash of the header (its columns, in order, ignoring case): saved mappings are keyed by it. */
export const headerHash = (header: string[]) => createHash('sha256').update(header.map(lower).join('\u0000')).digest('hex').slice(0, 32);

/** The vendor file whose signature the header carries: the one with the longest signature wins. */
export function recogniseFile(header: string[], from?: Vendor): { table: VendorTable; file: VendorFile } | undefined {
  const present = new Set(header.map(lower));
  let best: { table: VendorTable; file: VendorFile } | undefined;
  for (const table of Object.values(vendorTables)) {
    if (from && table.vendor !== from) continue;
    for (const file of table.files)
      if (file.signature.every((name) => present.has(lower(name))) && (!best || file.signature.length > best.file.signature.length)) best = { table, file };
  }
  return best;
}

/** Every column and what it becomes: the vendor's table, then the person's choices. */
export function planColumns(header: string[], table: VendorTable, file: VendorFile, choice: MappingChoice = {}): ColumnPlan[] {
  const known = new Map(Object.entries(file.columns).map(([name, field]) => [lower(name), field]));
  const ignored = new Map(Object.entries(table.ignored).map(([name, reason]) => [lower(name), reason]));
  return header.map((header) => {
    const chosen = choice[header];
    if (chosen === '') return { header, field: null, reason: 'ignored by you' };
    const field = chosen && (vendorFields as readonly string[]).includes(chosen) ? chosen : known.get(lower(header));
    if (header.trim() === '') return { header, field: null, reason: 'the column has no name' };
    if (!field) return { header, field: null, reason: ignored.get(lower(header)) ?? `not something Buychain keeps for ${file.kind}` };
    // Two columns for one field (HubSpot's "Company Name" and "Associated Company"): the first non-empty cell wins.
    return { header, field };
  });
}

export interface FieldRow {
  line: number;
  fields: Partial<Record<VendorField, string>>;
}
export type ReadRow = FieldRow | { line: number; problem: string };

/** Opens a file and reads its header: undefined when it has none. */
export async function readHeader(source: CsvSource): Promise<string[] | undefined> {
  const records = readCsvRecords(source);
  const first = await records.next();
  await records.return(undefined);
  const header: CsvRecord | undefined = first.done ? undefined : first.value;
  return header && 'cells' in header ? header.cells.map((cell) => cell.trim()) : undefined;
}

/** The rows of a file after its header, as fields; a row whose kept cells cannot be taken is a problem row. */
export async function* readFieldRows(source: CsvSource, columns: ColumnPlan[]): AsyncGenerator<ReadRow> {
  let first = true;
  for await (const record of readCsvRecords(source)) {
    if (first) {
      first = false;
      continue;
    }
    if ('problem' in record) {
      yield record;
      continue;
    }
    const fields: Partial<Record<VendorField, string>> = {};
    const problems: string[] = [];
    record.cells.forEach((cell, position) => {
      const column = columns[position];
      const value = cell.trim();
      if (!column?.field || !value || fields[column.field] !== undefined) return;
      const problem = cellProblem(column.header, value) ?? (value.startsWith('=') ? `${column.header}: "${value.slice(0, 40)}" is a spreadsheet formula, not a value; export the values` : undefined);
      if (problem) problems.push(problem);
      else fields[column.field] = value;
    });
    if (problems.length > 0) yield { line: record.line, problem: problems.join('; ') };
    else if (Object.keys(fields).length > 0) yield { line: record.line, fields };
  }
}

/** A person's name: the name column, or first and last name joined. */
export const personName = (fields: FieldRow['fields']) => fields.name ?? ([fields.first_name, fields.last_name].filter(Boolean).join(' ') || undefined);

/** Ids in one cell: "1;2", "1, 2". */
export const idList = (value: string | undefined) => (value ?? '').split(/[;,]/).map((id) => id.trim()).filter(Boolean);

/**
 * When an activity happened, as a UTC instant: an ISO instant as Salesforce writes it, or a local
 * date and time ("2026-03-05 14:00", "2026-03-05" at noon) in the importing user's zone. Day and
 * month written with slashes are taken only when they cannot be read two ways.
 */
export function instantOf(date: string | undefined, time: string | undefined, zone: string): string | undefined {
  if (!date) return undefined;
  const text = date.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) {
    const parsed = new Date(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
  }
  let day = text;
  let clock = time?.trim();
  const withTime = /^(\S+)[ T](\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AP]M)?)$/i.exec(text);
  if (withTime) {
    day = withTime[1]!;
    clock = withTime[2];
  }
  const slashed = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(day);
  if (slashed) {
    const [first, second] = [Number(slashed[1]), Number(slashed[2])];
    if (first <= 12 && second <= 12 && first !== second) return undefined;
    const [month, dayOfMonth] = first > 12 ? [second, first] : [first, second];
    day = `${slashed[3]}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const parsedClock = clock ? DateTime.fromFormat(clock.toUpperCase().replace(/\s/g, ''), clock.length > 5 && !/M$/i.test(clock) ? 'H:mm:ss' : /M$/i.test(clock) ? 'h:mma' : 'H:mm') : undefined;
  if (parsedClock && !parsedClock.isValid) return undefined;
  const local = DateTime.fromISO(day, { zone }).set(parsedClock ? { hour: parsedClock.hour, minute: parsedClock.minute } : { hour: 12 });
  return local.isValid ? local.toUTC().toISO()! : undefined;
}

/** Video meetings, written as a link or the service's name. */
const videoPlace = /https?:\/\/|zoom|teams|meet\.google|webex|whereby|video|virtual|online/i;
/** A place that is the customer's own office. */
const officePlace = /office|\bhq\b|head ?quarters|on[- ]?site|their site|customer site/i;

/**
 * Where an imported touchpoint took place. A call is by phone, an email or a note is virtual. A
 * meeting is outside the office only when the export names a place that is neither a video link
 * nor the customer's office (or its own name); with no place written it is taken as at the
 * customer's office, which never counts as meeting outside: nothing is guessed.
 */
export function locationOf(kind: TouchpointKind, place: string | undefined, accountName: string): TouchpointLocation {
  if (kind === 'call' || kind === 'service_call') return 'phone';
  if (kind === 'email' || kind === 'note') return 'virtual';
  if (!place) return 'customer_office';
  if (videoPlace.test(place)) return 'virtual';
  if (officePlace.test(place) || (accountName !== '' && lower(place).includes(lower(accountName)))) return 'customer_office';
  return 'outside_office';
}

export type { FileKind };
