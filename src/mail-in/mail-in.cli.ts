import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { findActiveUser, findUserByEmail } from '../users/users.service.js';
import { type MailOutcome, handleMessage } from './mail-in.service.js';
import { MessageRefused, maxMessageBytes } from './message-reader.js';
import { handleCapturedMessage } from '../mailbox/capture-address.js';

/** Reads at most the size limit plus one byte, so an endless stream is refused without filling memory. */
async function readBounded(chunks: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const part = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += part.length;
    if (size > maxMessageBytes) throw new MessageRefused(`message is larger than ${maxMessageBytes / 1024 / 1024} MB`);
    parts.push(part);
  }
  return Buffer.concat(parts);
}

async function readInput(file: string | undefined): Promise<Buffer> {
  if (!file) return readBounded(process.stdin);
  const handle = await open(file).catch((error: NodeJS.ErrnoException) => {
    throw new MessageRefused(`cannot read ${file}: ${error.code ?? error.message}`);
  });
  try {
    return await readBounded(handle.createReadStream());
  } finally {
    await handle.close();
  }
}

export function describeOutcome(outcome: MailOutcome): string {
  switch (outcome.kind) {
    case 'touchpoints':
      return `Logged an email touchpoint on ${outcome.accountIds.length} account(s)${outcome.suggestions ? `; ${outcome.suggestions} suggested contact(s)` : ''}.`;
    case 'suggestions':
      return `No known contact; ${outcome.count} suggested contact(s) at a known account's domain.`;
    case 'departure_signals':
      return `Departure signal raised for ${outcome.contactIds.length} contact(s).`;
    case 'meetings':
      return outcome.accountIds.length > 0 ? `Planned meeting recorded on ${outcome.accountIds.length} account(s).` : 'Invitation already applied (same or older version); nothing changed.';
    case 'duplicate':
      return 'Already handled (same Message-ID); nothing changed.';
    case 'discarded':
      return `Discarded, nothing kept: ${outcome.reason}.`;
  }
}

/**
 * `mail-in --user EMAIL [FILE]`: one message from the file or standard input, as if found in the
 * user's mailbox; `mail-in --to ADDRESS [FILE]`: as delivered to that capture address.
 */
export async function mailInCommand(db: Db, clock: Clock, args: string[], usageError: (message: string) => Error): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { user: { type: 'string' }, to: { type: 'string' } } });
  if (Boolean(values.user) === Boolean(values.to)) throw usageError('mail-in needs --user EMAIL or --to ADDRESS, then an optional FILE');
  if (positionals.length > 1) throw usageError('mail-in reads one message: mail-in --user EMAIL [FILE]');
  if (values.to) {
    console.log(describeOutcome(await handleCapturedMessage(db, clock, values.to, await readInput(positionals[0]))));
    return;
  }
  const found = await findUserByEmail(db, values.user!);
  const user = found && (await findActiveUser(db, found.id));
  if (!user) throw usageError(`No active user has the email ${values.user}`);
  const raw = await readInput(positionals[0]);
  console.log(describeOutcome(await handleMessage(db, clock, user, raw)));
}
