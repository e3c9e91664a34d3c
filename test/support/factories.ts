import type { Clock } from '../../src/clock.js';
import type { DbOrTx } from '../../src/db/database.js';
import { createAccount } from '../../src/accounts/accounts.service.js';
import { createContact } from '../../src/contacts/contacts.service.js';
import type { NewContactInput } from '../../src/contacts/contacts.schemas.js';
import { logTouchpoint } from '../../src/touchpoints/touchpoints.service.js';
import { touchpointSchema } from '../../src/touchpoints/touchpoints.schemas.js';
import { createApiToken } from '../../src/users/tokens.js';
import { type CurrentUser, createUser } from '../../src/users/users.service.js';
import type { UserRole } from '../../src/users/users.table.js';

export const testPassword = 'correct horse battery';

let sequence = 0;
const next = () => ++sequence;

/** Data factories: realistic rows in one line, through the same services the app uses. */
export function factories(db: DbOrTx, clock: Clock) {
  return {
    user(overrides: Partial<{ role: UserRole; name: string; email: string; manager: CurrentUser; time_zone: string; password: string }> = {}) {
      const n = next();
      return createUser(db, clock, {
        email: overrides.email ?? `user${n}@example.com`,
        name: overrides.name ?? `User ${n}`,
        role: overrides.role ?? 'rep',
        manager_id: overrides.manager?.id,
        time_zone: overrides.time_zone ?? 'UTC',
        password: overrides.password ?? testPassword,
      });
    },

    /** A manager with one rep: a team. */
    async team(name = 'Team') {
      const manager = await this.user({ role: 'manager', name: `${name} Manager` });
      const rep = await this.user({ role: 'rep', name: `${name} Rep`, manager });
      return { manager, rep };
    },

    /** An account opened now, or `openedDaysAgo` (past its first 14 days of onboarding, say). */
    account(owner: CurrentUser, overrides: Partial<{ name: string; meeting_cadence_days: number; status: 'prospect' | 'customer' | 'former'; openedDaysAgo: number }> = {}) {
      const openedAt = overrides.openedDaysAgo ? { now: () => new Date(clock.now().getTime() - overrides.openedDaysAgo! * 86_400_000) } : clock;
      return createAccount(db, openedAt, owner, { name: overrides.name ?? `Account ${next()}`, status: overrides.status ?? 'customer', meeting_cadence_days: overrides.meeting_cadence_days });
    },

    contact(owner: CurrentUser, accountId: number, overrides: Partial<NewContactInput> = {}) {
      return createContact(db, clock, owner, accountId, { name: overrides.name ?? `Contact ${next()}`, roles: [], ...overrides });
    },

    async touchpoint(owner: CurrentUser, accountId: number, input: Record<string, unknown>) {
      const parsed = touchpointSchema(owner.time_zone, clock.now()).parse({ kind: 'meeting', location: 'customer_office', ...input });
      return (await logTouchpoint(db, clock, owner, accountId, parsed)).touchpoint;
    },

    apiToken(user: CurrentUser) {
      return createApiToken(db, clock, user.id, 'test');
    },
  };
}
