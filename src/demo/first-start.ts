import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { demoLogins, demoPassword, hasAnyUser, seedDemo } from './demo-seed.js';

/** What the log says on an empty production database: the first admin comes from the CLI. */
export const firstAdminHint =
  'Empty database: no one can sign in yet. Create the first admin with: npm run cli -- user add --email you@example.com --name "Your Name" --role admin';

/**
 * On an empty database, a developer gets the demo company (whose logins are published in the
 * README); a production server starts empty, since a known login there is an open door.
 */
export async function prepareEmptyDatabase(db: Db, clock: Clock, { production, logger }: { production: boolean; logger: Logger }): Promise<void> {
  if (await hasAnyUser(db)) return;
  if (production) {
    logger.warn(firstAdminHint);
    return;
  }
  try {
    await seedDemo(db, clock);
  } catch (error) {
    // Several processes started together on an empty database: one of them loads the demo.
    if (!(await hasAnyUser(db))) throw error;
  }
  logger.info(`Empty database: loaded the demo company. Sign in as ${demoLogins.map((login) => login.email).join(', ')} with password "${demoPassword}".`);
}
