import { type ExpressionBuilder, sql } from 'kysely';
import type { Database, DbOrTx } from '../db/database.js';
import { groupConcat } from '../db/dialect.js';

// Columns every view of a departure selects beside the contact who is leaving or left: the digest,
// the rep's week and the departure alert. Sub-selects, so each stays one query.

/** The contact's roles, comma-separated (`roles`). */
export function contactRolesColumn(db: DbOrTx, eb: ExpressionBuilder<Database, 'contacts'>) {
  return eb
    .selectFrom('contact_roles')
    .select(groupConcat(db, sql.ref<string>('contact_roles.role')).as('roles'))
    .whereRef('contact_roles.contact_id', '=', 'contacts.id')
    .as('roles');
}

/** The first open step of the recovery playbook the contact's departure started, by due date. */
export function nextRecoveryStepColumn<Alias extends string>(eb: ExpressionBuilder<Database, 'contacts'>, alias: Alias) {
  return eb
    .selectFrom('commitments as steps')
    .select('steps.description')
    .whereRef('steps.departed_contact_id', '=', 'contacts.id')
    .where('steps.done_at', 'is', null)
    .orderBy('steps.due_on')
    .orderBy('steps.id')
    .limit(1)
    .as(alias);
}
