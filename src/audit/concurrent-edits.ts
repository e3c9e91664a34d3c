import type { DbOrTx } from '../db/database.js';
import { Conflict, ValidationFailed } from '../http/errors.js';
import { type Changes, sameValue } from './audit.service.js';
import type { AuditEventsTable } from './audit.table.js';

/** Someone else changed, since the version an edit started from, a field the edit changes too. */
export class EditConflict<Row> extends Conflict {
  constructor(
    fields: Record<string, string>,
    /** The row as it is now, for showing the edit form again. */
    readonly current: Row,
    /** The fields the editor really changed: their input is kept when the form is shown again. */
    readonly edited: string[],
  ) {
    super('Someone else changed this since you opened it, including fields you changed. Nothing was saved.', fields);
  }
}

const shown = (value: unknown) => (Array.isArray(value) ? value.join(', ') : value === null || value === undefined ? '' : String(value));

/**
 * Three-way merge of an edit made from an older version. `requested` holds the fields the editor sent,
 * `current` the row now; the audit trail since `baseVersion` tells which fields others changed and what
 * they were before. Returns the fields to write: the editor's changes to fields nobody else touched
 * (a field they sent unchanged keeps the other person's value). A field both changed, differently, throws
 * EditConflict naming who changed it to what.
 */
export async function mergeConcurrentEdit<Row extends { id: number; version: number }>(
  db: DbOrTx,
  entityType: AuditEventsTable['entity_type'],
  current: Row,
  requested: Record<string, unknown>,
  baseVersion: number,
  apiName: (column: string) => string = (column) => column,
): Promise<Record<string, unknown>> {
  if (baseVersion === current.version) return requested;
  if (baseVersion > current.version) throw new ValidationFailed({ version: `This was never at version ${baseVersion}; reload it` });
  const events = await db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.id', 'audit_events.user_id')
    .select(['audit_events.changes', 'users.name as user_name'])
    .where('audit_events.entity_type', '=', entityType)
    .where('audit_events.entity_id', '=', current.id)
    .where('audit_events.entity_version', '>', baseVersion)
    .orderBy('audit_events.entity_version')
    .execute();
  // Every version has its audit event; if some are missing, treat every field as possibly changed.
  const complete = events.length === current.version - baseVersion;
  const valueAtBase = new Map<string, unknown>();
  const changedBy = new Map<string, string>();
  for (const event of events)
    for (const [field, [from]] of Object.entries(JSON.parse(event.changes) as Changes)) {
      if (!valueAtBase.has(field)) valueAtBase.set(field, from);
      changedBy.set(field, event.user_name ?? 'someone else');
    }

  const toWrite: Record<string, unknown> = {};
  const conflicts: Record<string, string> = {};
  const edited: string[] = [];
  for (const [field, mine] of Object.entries(requested)) {
    const theirs = (current as Record<string, unknown>)[field];
    if (complete && !valueAtBase.has(field)) {
      toWrite[field] = mine;
      if (!sameValue(mine, theirs)) edited.push(field);
    } else if (!(complete && sameValue(mine, valueAtBase.get(field))) && !sameValue(mine, theirs)) {
      edited.push(field);
      const who = changedBy.get(field) ?? 'someone else';
      conflicts[apiName(field)] = shown(theirs) === '' ? `Cleared by ${who}` : `Changed by ${who} to “${shown(theirs)}”`;
    }
  }
  if (Object.keys(conflicts).length > 0) throw new EditConflict(conflicts, current, edited);
  return toWrite;
}
