import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Mailer } from './mail/mailer.js';

/** Everything a route needs from outside, handed in by createApp: no module-level singletons. */
export interface AppContext {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  config: Config;
  logger: Logger;
}
