import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { systemClock } from './clock.js';
import { parseConfig, parseConfigOrExit } from './config.js';
import { DatabaseRefused, connectDatabase, parseDatabaseUrl } from './db/connect.js';
import type { Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { demoLogins, demoPassword, hasAnyUser, seedDemo } from './demo/demo-seed.js';
import { describeScaleSeed, seedScale } from './demo/scale-seed.js';
import { fieldErrors } from './http/validation.js';
import { createApiToken } from './users/tokens.js';
import { newUserSchema } from './users/users.schemas.js';
import { createUser, findUserByEmail } from './users/users.service.js';
import { importCsvCommand } from './importer/importer.cli.js';
import { userCareCommand } from './users/users.cli.js';
import { backupSqlite, postgresBackupAdvice } from './db/backup.js';
import { exportDatabase, importDatabase } from './db/transfer.js';
import { moveToPostgres } from './db/move.js';
import { digestCommand } from './digest/digest.cli.js';
import { mailInCommand } from './mail-in/mail-in.cli.js';
import { MessageRefused } from './mail-in/message-reader.js';

const usage = `Usage: npm run cli -- <command>

  migrate                                   bring the database schema up to date
  seed --demo                               load the demo company into an empty database
  seed --scale N                            load a company of N reps (200 accounts each) for benchmarks (SQLite)
  user add --email E --name N --role R [--manager EMAIL] [--password PW] [--time-zone ZONE]
                                            add a user (asks for the password when not given)
  user reset-link --email E [--print]       email a one-time link to set a new password (valid an hour; --print shows it too)
  user sign-out-everywhere --email E [--revoke-tokens]
                                            end every session of the user (and revoke their API tokens)
  user delete --email E [--accounts-to EMAIL]
                                            delete a user; their accounts and open promises go to --accounts-to first
  token create --email E [--name NAME] [--expires-in-days N]
                                            create a personal API token (printed alone on the last line)
  import FILE.csv… [--from hubspot|salesforce|pipedrive] [--as EMAIL] [--dry-run]
                                            import accounts, contacts, roles and history (a vendor's export files,
                                            or one file in Buychain's columns): prints the preview, then imports unless --dry-run
  import FILE.json                          load an export into an empty database (ids kept)
  export [FILE]                             the whole database as JSON (to standard output without FILE)
  move --to postgres://…                    copy the whole SQLite database (DATABASE_URL) into an empty PostgreSQL database, streamed
  backup FILE                               consistent copy of the live SQLite database (PostgreSQL: prints how to use pg_dump)
  digest [--week YYYY-Www] --dry-run | --send [--force] [--manager EMAIL]
                                            print each manager's weekly digest, or send it (once a week unless --force)
  mail-in --user EMAIL [FILE]               handle one RFC 5322 message (file or standard input) as found in that user's mailbox
  mail-in --to ADDRESS [FILE]               the same, as delivered to a capture address (token and From checked)
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
    const { values } = parseArgs({ args, options: { demo: { type: 'boolean' }, scale: { type: 'string' } } });
    if (!values.demo && values.scale === undefined) throw new UsageError('seed needs --demo or --scale N');
    if (values.demo && parseConfig(process.env).production)
      throw new UsageError('seed --demo is refused in production (NODE_ENV=production or a public BASE_URL): its logins are published. Create users with: user add … --role admin');
    await migrateToLatest(db);
    if (await hasAnyUser(db)) throw new UsageError('The database already has users; seed loads only into an empty one.');
    if (values.scale !== undefined) {
      const target = parseDatabaseUrl(parseConfig(process.env).databaseUrl);
      if (!/^[1-9]\d*$/.test(values.scale)) throw new UsageError('--scale takes a number of reps, e.g. --scale 500');
      if (target.kind !== 'sqlite') throw new UsageError('seed --scale writes straight into a SQLite file; it does not support PostgreSQL.');
      console.log(describeScaleSeed(await seedScale(target.file, { reps: Number(values.scale), now: systemClock.now(), log: console.error })));
      return;
    }
    await seedDemo(db, systemClock);
    console.log(`Demo company loaded. Sign in as ${demoLogins.map((login) => login.email).join(', ')} with password "${demoPassword}".`);
  },

  async user(db, args) {
    const [action, ...rest] = args;
    if (action !== 'add') return userCareCommand(db, systemClock, parseConfig(process.env), action, rest);
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
    const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, name: { type: 'string' }, 'expires-in-days': { type: 'string' } } });
    if (!values.email) throw new UsageError('token create needs --email');
    const user = await findUserByEmail(db, values.email);
    if (!user) throw new UsageError(`No user has the email ${values.email}`);
    const days = values['expires-in-days'];
    if (days !== undefined && !/^[1-9]\d{0,4}$/.test(days)) throw new UsageError('--expires-in-days takes a whole number of days, e.g. 90');
    const token = await createApiToken(db, systemClock, user.id, values.name ?? 'CLI token', days === undefined ? undefined : Number(days));
    console.log(`API token for ${user.email} (shown once; only its hash is stored):`);
    console.log(token);
  },

  async import(db, args) {
    if (args.some((arg) => /\.csv$/i.test(arg))) return importCsvCommand(db, systemClock, args);
    if (args.length === 1 && /\.json$/i.test(args[0]!)) {
      const counts = await importDatabase(db, args[0]!);
      console.log(`Imported ${Object.entries(counts).map(([table, count]) => `${count} ${table}`).join(', ')}.`);
      return;
    }
    throw new UsageError('import takes files: import FILE.csv… [--from hubspot|salesforce|pipedrive] [--as EMAIL] [--dry-run], or import FILE.json');
  },

  async export(db, args) {
    const out = args[0] ? createWriteStream(args[0]) : process.stdout;
    const counts = await exportDatabase(db, systemClock, out);
    if (args[0]) await finished(out.end());
    console.error(`Exported ${Object.values(counts).reduce((sum, count) => sum + count, 0)} rows from ${Object.keys(counts).length} tables.`);
  },

  async move(db, args) {
    const { values } = parseArgs({ args, options: { to: { type: 'string' } } });
    const source = parseDatabaseUrl(parseConfig(process.env).databaseUrl);
    if (source.kind !== 'sqlite') throw new UsageError('move copies a SQLite database (DATABASE_URL=sqlite:…) into PostgreSQL.');
    if (!values.to || parseDatabaseUrl(values.to).kind !== 'postgres') throw new UsageError('move needs --to postgres://user@host/database (an empty database)');
    await migrateToLatest(db);
    const report = await moveToPostgres(source.file, values.to, console.error);
    const rows = report.tables.reduce((sum, table) => sum + table.rows, 0);
    console.log(`Moved ${rows.toLocaleString('en-US')} rows from ${report.tables.length} tables in ${report.seconds.toFixed(1)} s (indexes and keys: ${report.indexSeconds.toFixed(1)} s).`);
  },

  digest: (db, args) => digestCommand(db, systemClock, parseConfig(process.env), args),

  'mail-in': (db, args) => mailInCommand(db, systemClock, args, (message) => new UsageError(message)),

  async backup(_db, args) {
    if (args.length !== 1) throw new UsageError('backup takes the file to write: backup FILE');
    const target = parseDatabaseUrl(parseConfig(process.env).databaseUrl);
    if (target.kind === 'postgres') throw new UsageError(postgresBackupAdvice);
    const { pages } = await backupSqlite(target.file, args[0]!);
    console.log(`Backed up ${target.file} to ${args[0]} (${pages} pages). To restore: stop the app and copy it over ${target.file}.`);
  },
};

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(usage);
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  let db: Db;
  try {
    db = connectDatabase(parseConfigOrExit(process.env, 'tool').databaseUrl);
  } catch (error) {
    if (!(error instanceof DatabaseRefused)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  try {
    await command(db, args);
    return 0;
  } catch (error) {
    if (error instanceof MessageRefused) {
      process.stderr.write(`Refused: ${error.message}\n`);
      return 1;
    }
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
