import { ValidationFailed } from '../http/errors.js';
import { type CsvRecord, type CsvSource, readCsvRecords } from './csv-records.js';

// From CSV records to rows in our columns: the header says which cell is which column, and every
// cell is checked for characters no form would take. A vendor's export (HubSpot, Salesforce…) is
// another ColumnMapping: its header names mapped to ours.

export const importColumns = [
  'account',
  'status',
  'customer_since',
  'owner_email',
  'name',
  'title',
  'email',
  'phone',
  'roles',
  'birthday',
  'started_in_role_on',
  'preferred_channel',
  'preferred_time',
] as const;
export type ImportColumn = (typeof importColumns)[number];
export const contactColumns: readonly ImportColumn[] = importColumns.slice(4);

export type ImportValues = Partial<Record<ImportColumn, string>>;
/** A row of the file in our columns (`line`: where it starts in the file, the header being line 1), or why it cannot be used. */
export type ImportRow = { line: number; values: ImportValues } | { line: number; problem: string };

/** How a file's header names our columns. */
export interface ColumnMapping {
  columnOf(header: string): ImportColumn | undefined;
  /** Said when the header has none of the columns a row needs. */
  missingHeader: string;
}

const known = new Set<string>(importColumns);
const aliases: Record<string, ImportColumn> = {
  account_name: 'account',
  company: 'account',
  account_status: 'status',
  owner: 'owner_email',
  contact: 'name',
  contact_name: 'name',
};

/** Our own columns (the CSV export writes them), case-insensitive, with spaces or dashes for underscores. */
export const buychainColumns: ColumnMapping = {
  columnOf(header) {
    const key = header.trim().toLowerCase().replace(/[\s-]+/g, '_');
    const column = aliases[key] ?? key;
    return known.has(column) ? (column as ImportColumn) : undefined;
  },
  missingHeader: `The first line must name the columns, with at least "account". Columns we read: ${importColumns.join(', ')}.`,
};

/** Control characters no form takes (all but tab, line feed and carriage return), C1 included. */
const controlCharacter = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const codePoint = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Undo the apostrophe our CSV export puts before a leading =, +, - or @ (so spreadsheets show text, not formulas). */
const unescapeCell = (value: string) => (/^'[=+\-@]/.test(value) ? value.slice(1) : value);

/** Why a cell cannot be taken as text, if it cannot. */
export function cellProblem(column: string, value: string): string | undefined {
  const control = controlCharacter.exec(value);
  if (control) return `${column}: contains a control character (${codePoint(control[0])}); remove it and import the row again`;
  if (value.includes('\uFFFD')) return `${column}: contains a character that could not be read (�): save the file as "CSV UTF-8" and import the row again`;
  return undefined;
}

export interface ImportFile {
  /** Header columns that are not ours, as written (lower-cased, underscored). */
  ignoredColumns: string[];
  rows: AsyncGenerator<ImportRow>;
}

/** Reads the header, then hands out the rows one at a time as the bytes arrive. */
export async function openImportFile(source: CsvSource, mapping: ColumnMapping = buychainColumns): Promise<ImportFile> {
  const records = readCsvRecords(source);
  const first = await records.next();
  const header: CsvRecord | undefined = first.done ? undefined : first.value;
  if (!header || 'problem' in header) {
    await records.return(undefined);
    throw new ValidationFailed({ csv: header ? `Line 1 cannot be read: ${header.problem}` : mapping.missingHeader });
  }
  const columns = header.cells.map((cell) => mapping.columnOf(cell));
  if (!columns.includes('account')) {
    await records.return(undefined);
    throw new ValidationFailed({ csv: mapping.missingHeader });
  }
  const ignoredColumns = header.cells
    .filter((cell, position) => cell.trim() !== '' && columns[position] === undefined)
    .map((cell) => cell.trim().toLowerCase().replace(/[\s-]+/g, '_'));
  async function* rows(): AsyncGenerator<ImportRow> {
    for await (const record of records) {
      if ('problem' in record) {
        yield record;
        continue;
      }
      const values: ImportValues = {};
      const problems: string[] = [];
      record.cells.forEach((cell, position) => {
        const column = columns[position];
        const value = cell.trim();
        if (!column || !value) return;
        const problem = cellProblem(column, value);
        if (problem) problems.push(problem);
        else values[column] = unescapeCell(value);
      });
      if (problems.length > 0) yield { line: record.line, problem: problems.join('; ') };
      else if (Object.keys(values).length > 0) yield { line: record.line, values };
    }
  }
  return { ignoredColumns, rows: rows() };
}
