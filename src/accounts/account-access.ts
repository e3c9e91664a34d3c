import { type ExpressionBuilder, type SqlBool, type Expression, sql } from 'kysely';
import type { Database } from '../db/database.js';
import type { CurrentUser } from '../users/users.service.js';

/**
 * Who may see which accounts, as a WHERE condition on `accounts`: a rep their own, a manager
 * their team's and their own, an admin all. Every query that reads or writes an account goes
 * through this, so authorization lives in the queries.
 */
export function accountVisibleTo(user: CurrentUser) {
  return (eb: ExpressionBuilder<Database, 'accounts'>): Expression<SqlBool> => {
    if (user.role === 'admin') return sql<SqlBool>`1 = 1`;
    // One IN over the manager and their reps, not "own OR a rep's": PostgreSQL cannot drive an
    // index from that OR and read all 100,000 accounts at N=500 (bench/README.md, issue 19).
    if (user.role === 'manager')
      return eb('accounts.owner_id', 'in', eb.selectFrom('users').select('users.id').where((users) => users.or([users('users.id', '=', user.id), users('users.manager_id', '=', user.id)])));
    return eb('accounts.owner_id', '=', user.id);
  };
}

/** The users whose accounts this user sees (for owner pickers and filters). */
export function visibleOwners(db: import('../db/database.js').DbOrTx, user: CurrentUser) {
  let query = db.selectFrom('users').select(['id', 'name', 'email']).where('active', '=', 1).orderBy('name');
  if (user.role === 'manager') query = query.where((eb) => eb.or([eb('id', '=', user.id), eb('manager_id', '=', user.id)]));
  if (user.role === 'rep') query = query.where('id', '=', user.id);
  return query.execute();
}
