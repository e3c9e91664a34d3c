import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { systemClock } from './clock.js';
import { parseConfig } from './config.js';
import { connectDatabase } from './db/connect.js';
import type { Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { demoLogins, demoPassword, hasAnyUser, seedDemo } from './demo/demo-seed.js';
import { fieldErrors } from './http/validation.js';
import { createApiToken } from './users/tokens.js';
import { newUserSchema } from './users/users.schemas.js';
import { createUser, findUserByEmail } from './users/users.service.js';

const usage = `Usage: npm run cli -- <command>

  migrate                                   bring the database schema up to date
  seed --demo                               load the demo company into an empty database
  user add --email E --name N --role R [--manager EMAIL] [--password PW] [--time-zone ZONE]
                                            add a user (asks for the password when not given)
  token create --email E [--name NAME]      create a personal API token (printed alone on the last line)
`;

class UsageError extends Error {}

async function askPassword(): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  try {
    return (await prompt.question('Password (at least 10 characters): ')).trim();
  } finally {
    prompt.close();
  }
}

const commands: Record<string, (db: Db, args: string[]) => Promise<void>> = {
  async migrate(db) {
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `Applied ${applied.join(', ')}` : 'The database is up to date.');
  },

  async seed(db, args) {
    const { values } = parseArgs({ args, options: { demo: { type: 'boolean' } } });
    if (!values.demo) throw new UsageError('seed needs --demo');
    await migrateToLatest(db);
    if (await hasAnyUser(db)) throw new UsageError('The database already has users; the demo company loads only into an empty one.');
    await seedDemo(db, systemClock);
    console.log(`Demo company loaded. Sign in as ${demoLogins.map((login) => login.email).join(', ')} with password "${demoPassword}".`);
  },

  async user(db, args) {
    const [action, ...rest] = args;
    if (action !== 'add') throw new UsageError('user takes: add');
    const { values } = parseArgs({
      args: rest,
      options: {
        email: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string' },
        manager: { type: 'string' },
        password: { type: 'string' },
        'time-zone': { type: 'string' },
      },
    });
    await migrateToLatest(db);
    const manager = values.manager ? await findUserByEmail(db, values.manager) : undefined;
    if (values.manager && !manager) throw new UsageError(`No user has the email ${values.manager}`);
    const parsed = newUserSchema.safeParse({
      email: values.email,
      name: values.name,
      role: values.role,
      manager_id: manager?.id,
      time_zone: values['time-zone'] ?? 'UTC',
      password: values.password ?? (await askPassword()),
    });
    if (!parsed.success) {
      const problems = Object.entries(fieldErrors(parsed.error)).map(([field, message]) => `  --${field.replace('_id', '').replace('_', '-')}: ${message}`);
      throw new UsageError(`Cannot add that user:\n${problems.join('\n')}`);
    }
    const user = await db.transaction().execute((trx) => createUser(trx, systemClock, parsed.data));
    console.log(`Added ${user.name} <${user.email}> as ${user.role}${manager ? ` reporting to ${manager.name}` : ''}.`);
  },

  async token(db, args) {
    const [action, ...rest] = args;
    if (action !== 'create') throw new UsageError('token takes: create');
    const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, name: { type: 'string' } } });
    if (!values.email) throw new UsageError('token create needs --email');
    const user = await findUserByEmail(db, values.email);
    if (!user) throw new UsageError(`No user has the email ${values.email}`);
    const token = await createApiToken(db, systemClock, user.id, values.name ?? 'CLI token');
    console.log(`API token for ${user.email} (shown once; only its hash is stored):`);
    console.log(token);
  },
};

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(usage);
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  const db = connectDatabase(parseConfig(process.env).databaseUrl);
  try {
    await command(db, args);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
    if ((error as { fields?: Record<string, string> }).fields) {
      process.stderr.write(`${Object.values((error as { fields: Record<string, string> }).fields).join('\n')}\n`);
      return 2;
    }
    throw error;
  } finally {
    await db.destroy();
  }
}

process.exitCode = await main();
