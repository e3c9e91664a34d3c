import { createHash } from 'node:crypto';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';

// Reads one RFC 5322 message into the few things mail capture looks at. Text only: HTML is
// converted to plain text and never rendered, attachments are dropped once read (except an
// invitation's calendar and a forwarded message, which are read and then dropped too).

/** Larger messages are refused unread: real correspondence, invitations and bounces are far smaller. */
export const maxMessageBytes = 10 * 1024 * 1024;
/** A forwarded message inside another is read, but never a forward inside a forward inside a forward. */
const maxNesting = 2;
/** More recipients than this is a mailing, not correspondence: only the first are looked at. */
const maxAddresses = 100;

/** A message that cannot be handled: too large, unreadable, or not the user's to log. */
export class MessageRefused extends Error {}

export interface MailAddress {
  address: string;
  name: string | null;
}

export interface ReadMessage {
  /** The Message-ID without angle brackets; a hash of the bytes when the message has none. */
  messageId: string;
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  date: Date | null;
  subject: string;
  /** The plain text (HTML converted to text when there is no plain part). */
  text: string;
  header(name: string): string | undefined;
  /** "multipart/report" with report-type "delivery-status" (a DSN). */
  isDeliveryReport: boolean;
  /** text/calendar parts (inline or attached). */
  calendars: string[];
  /** Messages attached whole (message/rfc822), e.g. a forward as attachment. */
  attachedMessages: ReadMessage[];
}

const addressPattern = /^[^\s@<>()",;:\\[\]]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** Drops control characters (header injection) and trims; null when nothing is left. */
export function cleanHeaderText(value: string | null | undefined, max = 200): string | null {
  const cleaned = (value ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
  return cleaned === '' ? null : cleaned;
}

export function normalizeAddress(value: string | undefined | null): string | null {
  const address = (value ?? '').trim().toLowerCase();
  return address.length <= 254 && addressPattern.test(address) ? address : null;
}

function addressesOf(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const groups = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const found: MailAddress[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (found.length >= maxAddresses) return;
      if (entry.group) visit(entry.group);
      const address = normalizeAddress(entry.address);
      if (address) found.push({ address, name: cleanHeaderText(entry.name) });
    }
  };
  for (const group of groups) visit(group.value);
  return found;
}

function headerText(parsed: ParsedMail, name: string): string | undefined {
  const value = parsed.headers.get(name);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    const params = 'params' in value ? Object.entries(value.params as Record<string, string>).map(([k, v]) => `; ${k}=${v}`) : [];
    return value.value + params.join('');
  }
  return String(value);
}

export function messageIdOf(value: string | undefined, raw: Buffer): string {
  const id = cleanHeaderText(value, 500)?.replace(/^<|>$/g, '');
  return id || `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** Parses a message; refuses one over the size limit or one that is not mail at all. */
export async function readMessage(raw: Buffer, depth = 0): Promise<ReadMessage> {
  if (raw.length > maxMessageBytes) throw new MessageRefused(`message is larger than ${maxMessageBytes / 1024 / 1024} MB`);
  if (!/^[\x21-\x39\x3b-\x7e]+:/m.test(raw.subarray(0, 4096).toString('latin1')))
    throw new MessageRefused('not an RFC 5322 message (no header lines)');
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
  } catch (error) {
    throw new MessageRefused(`malformed MIME: ${(error as Error).message.slice(0, 120)}`);
  }
  const from = addressesOf(parsed.from)[0] ?? null;
  const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  const calendars: string[] = [];
  const attachedMessages: ReadMessage[] = [];
  for (const attachment of parsed.attachments) {
    const type = attachment.contentType.toLowerCase();
    if (type === 'text/calendar' || type === 'application/ics') calendars.push(attachment.content.toString('utf8'));
    else if (type === 'message/rfc822' && depth < maxNesting) {
      const inner = await readMessage(attachment.content, depth + 1).catch(() => null);
      if (inner) attachedMessages.push(inner);
    }
  }
  const date = parsed.date && !Number.isNaN(parsed.date.getTime()) ? parsed.date : null;
  return {
    messageId: messageIdOf(parsed.messageId, raw),
    from,
    to: addressesOf(parsed.to),
    cc: addressesOf(parsed.cc),
    date,
    subject: cleanHeaderText(parsed.subject, 500) ?? '',
    text: (parsed.text ?? '').replace(/\r\n?/g, '\n'),
    header: (name) => headerText(parsed, name.toLowerCase()),
    isDeliveryReport: contentType?.value?.toLowerCase() === 'multipart/report' && contentType.params?.['report-type']?.toLowerCase() === 'delivery-status',
    calendars,
    attachedMessages,
  };
}
