import type { DbOrTx } from '../db/database.js';
import type { AuditEventsTable } from './audit.table.js';

export type Changes = Record<string, [unknown, unknown]>;

/** The fields whose value differs between before and after (arrays compared as sets of values). */
export function diff(before: Record<string, unknown>, after: Record<string, unknown>): Changes {
  const changes: Changes = {};
  for (const key of Object.keys(after)) {
    if (!sameValue(before[key], after[key])) changes[key] = [before[key] ?? null, after[key] ?? null];
  }
  return changes;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    const left = [...((a as unknown[]) ?? [])].map(String).sort();
    const right = [...((b as unknown[]) ?? [])].map(String).sort();
    return left.join('\u0000') === right.join('\u0000');
  }
  return (a ?? null) === (b ?? null);
}

export interface AuditEntry {
  entity_type: AuditEventsTable['entity_type'];
  entity_id: number;
  account_id: number;
  user_id: number | null;
  action: string;
  changes: Changes;
  context?: string | null;
  at: string;
  /** The version the change produced, for entities with optimistic concurrency (contacts, accounts). */
  entity_version?: number;
}

export async function recordAudit(db: DbOrTx, entry: AuditEntry): Promise<void> {
  await recordAudits(db, [entry]);
}

/** Several entries, a thousand a statement (an import batch; SQLite takes at most 32,766 values in one). */
export async function recordAudits(db: DbOrTx, entries: AuditEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += 1000)
    await db
      .insertInto('audit_events')
      .values(entries.slice(start, start + 1000).map((entry) => ({ ...entry, changes: JSON.stringify(entry.changes), context: entry.context ?? null, entity_version: entry.entity_version ?? null })))
      .execute();
}

export async function listAuditEvents(db: DbOrTx, entityType: AuditEventsTable['entity_type'], entityId: number, limit = 100) {
  const rows = await db
    .selectFrom('audit_events')
    .leftJoin('users', 'users.id', 'audit_events.user_id')
    .select([
      'audit_events.id',
      'audit_events.action',
      'audit_events.changes',
      'audit_events.context',
      'audit_events.at',
      'users.name as user_name',
    ])
    .where('audit_events.entity_type', '=', entityType)
    .where('audit_events.entity_id', '=', entityId)
    .orderBy('audit_events.at', 'desc')
    .orderBy('audit_events.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ ...row, changes: JSON.parse(row.changes) as Changes }));
}
