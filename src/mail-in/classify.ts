import { DateTime } from 'luxon';
import { type MailAddress, type ReadMessage, cleanHeaderText, normalizeAddress } from './message-reader.js';

// What a message is, read from its headers and text: pure functions, tested on a corpus of
// real-format messages (test/mail-in/fixtures).

/** RFC 3834 and the markers Exchange, Gmail and others put on automatic replies. */
export function isAutomaticReply(message: ReadMessage): boolean {
  const autoSubmitted = message.header('auto-submitted')?.trim().toLowerCase();
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (message.header('x-autoreply') !== undefined || message.header('x-autorespond') !== undefined || message.header('x-autoresponder') !== undefined) return true;
  if (/^\s*auto[_-]?reply\s*$/i.test(message.header('precedence') ?? '')) return true;
  // Exchange marks replies made by its own rules and out-of-office assistant.
  if (message.header('x-ms-exchange-inbox-rules-loop') !== undefined) return true;
  if (/^\s*(oof|autoreply)/i.test(message.header('x-auto-response-suppress') ?? '') && automaticReplySubject.test(message.subject)) return true;
  return automaticReplySubject.test(message.subject);
}

const automaticReplySubject =
  /^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|out of (the )?office|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|risposta automatica|absence|abwesend)\b/i;

/** Phrases that say a person has left the organisation, per language; never mere absence. */
const departurePhrases: RegExp[] = [
  // English
  /\b(?:is|am|are) no longer (?:with|at|employed|working|part of|a member of)\b/i,
  /\bno longer (?:works?|employed) (?:at|for|with|by)\b/i,
  /\b(?:has|have) (?:now )?left (?:the company|the organi[sz]ation|the firm|the business|the group)\b/i,
  /\b(?:has|have) (?:now )?left (?=[A-Z][\w&'’.-]*(?:\s|,|\.|$))(?!(?:For|On|Until|Today|Early|The office)\b)/,
  /\b(?:my|her|his|their) (?:last|final) (?:working )?day(?: at [^.\n]{1,60}| with [^.\n]{1,60}| in the company)? was\b/i,
  /\bhas (?:now )?retired\b/i,
  // German
  /\b(?:ist|bin|sind) nicht mehr (?:bei|für|im Unternehmen|in unserem Unternehmen|tätig|beschäftigt|Teil|Mitarbeiter)/i,
  /\bnicht mehr (?:für [^.\n]{1,60} )?tätig\b/i,
  /\b(?:hat|habe) (?:das Unternehmen|die Firma|unser Unternehmen|uns) verlassen\b/i,
  /\b(?:ist|bin) (?:aus dem Unternehmen |bei uns )?ausgeschieden\b/i,
  /\b(?:mein|ihr|sein) letzter Arbeitstag war\b/i,
  // French
  /\bne (?:fait|fais|font) plus partie\b/i,
  /\bne (?:travaille|travaillons|travaillent) plus (?:chez|pour|au sein|dans (?:l['’]entreprise|la soci[ée]t[ée]))/i,
  /\b(?:a|ai) quitt[ée] (?:l['’]entreprise|la soci[ée]t[ée]|le groupe|l['’]organisation|ses fonctions|mes fonctions)/i,
  /\b(?:a|ai) quitt[ée] (?=[A-Z])/,
  /\bn['’](?:est|suis) plus (?:chez|au sein|en poste|employ[ée])\b/i,
  // Spanish
  /\bya no (?:trabaja|trabajo|forma parte|formo parte|pertenece|pertenezco|est[áa] (?:en|con) (?:la empresa|la compañ[íi]a))/i,
  /\bya no est[áa] (?:en|con) (?=[A-Z])/,
  /\b(?:ha|he) dejado (?:de trabajar|la empresa|la compañ[íi]a|la organizaci[óo]n)\b/i,
  /\bdej[óo] (?:la empresa|la compañ[íi]a)\b/i,
  /\bmi [úu]ltimo d[íi]a (?:de trabajo |en [^.\n]{1,60} )?fue\b/i,
];

/** The sentence of an automatic reply that says the person left, or null for an ordinary absence. */
export function departureSentence(text: string): string | null {
  const flat = text.replace(/\s+/g, ' ').trim();
  for (const phrase of departurePhrases) {
    const match = phrase.exec(flat);
    if (!match) continue;
    const start = Math.max(flat.lastIndexOf('. ', match.index) + 2, match.index - 200, 0);
    const endAt = flat.indexOf('. ', match.index + match[0].length);
    const end = Math.min(endAt === -1 ? flat.length : endAt + 1, match.index + 300);
    return flat.slice(start, end).trim();
  }
  return null;
}

export interface NamedPerson {
  name: string | null;
  email: string | null;
}

const emailInText = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
const notAName =
  /^(please|contact|kontakt|bitte|veuillez|contacter|contactez|por favor|contacte|my|our|the|mein|meine|ihr|notre|mon|ma|su|colleague|kollegin|kollege|coll[èe]gue|compañer[oa]|mrs?\.?|ms\.?|dr\.?|mme|m\.|sra?\.?|frau|herrn?|madame|monsieur|señora?)$/i;

/** "ken.ito" → "Ken Ito", for a successor named only by address. */
export const nameFromAddress = (address: string) =>
  address
    .split('@')[0]!
    .split(/[._-]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join(' ');

/**
 * The person an automatic reply sends us to instead ("please contact Ken Ito at ken.ito@…"):
 * the first address in the text that is not the sender's, with the capitalised name just before it.
 */
export function namedSuccessor(text: string, senderAddress: string | null): NamedPerson | null {
  const flat = text.replace(/\s+/g, ' ');
  for (const match of flat.matchAll(emailInText)) {
    const email = normalizeAddress(match[0].replace(/\.$/, ''));
    if (!email || email === senderAddress) continue;
    const before = flat.slice(Math.max(0, match.index! - 80), match.index).replace(/[\s(<:[,–—-]+$|\s+(?:at|unter|à|a|en|via|on|:)\s*$/gi, '');
    const words = before.split(' ').slice(-3);
    while (words.length > 0 && !/^\p{Lu}[\p{L}'’.-]*$/u.test(words[0]!)) words.shift();
    while (words.length > 0 && notAName.test(words[0]!)) words.shift();
    const name = words.length > 0 && words.every((word) => /^\p{Lu}[\p{L}'’.-]*$/u.test(word) && !notAName.test(word)) ? words.join(' ') : null;
    return { email, name: name ?? nameFromAddress(email) };
  }
  return null;
}

export interface PermanentFailure {
  recipient: string;
  status: string;
  excerpt: string;
}

/**
 * The recipients a delivery-status report (RFC 3464) says failed permanently (5.x.x). Delays
 * (4.x.x, Action: delayed) are not failures. Only for multipart/report; free-text bounces are ignored.
 */
export function permanentFailures(message: ReadMessage): PermanentFailure[] {
  if (!message.isDeliveryReport) return [];
  const failures: PermanentFailure[] = [];
  for (const block of message.text.split(/\n\s*\n/)) {
    const recipient = /^(?:final-recipient|original-recipient):\s*(?:rfc822\s*;)?\s*<?([^\s<>;]+@[^\s<>;]+)>?/im.exec(block)?.[1];
    const status = /^status:\s*([245])\.(\d{1,3})\.(\d{1,3})/im.exec(block);
    const action = /^action:\s*(\w+)/im.exec(block)?.[1]?.toLowerCase();
    if (!recipient || !status || status[1] !== '5' || (action && action !== 'failed')) continue;
    const address = normalizeAddress(recipient);
    if (!address || failures.some((failure) => failure.recipient === address)) continue;
    const diagnostic = cleanHeaderText(/^diagnostic-code:\s*(?:smtp\s*;)?\s*([^\n]+(?:\n[ \t]+[^\n]+)*)/im.exec(block)?.[1], 300);
    const code = `${status[1]}.${status[2]}.${status[3]}`;
    failures.push({ recipient: address, status: code, excerpt: diagnostic ?? `Delivery to ${address} failed permanently (${code}).` });
  }
  return failures;
}

const quoteStarts: RegExp[] = [
  /^>/,
  /^On .{4,200} wrote:\s*$/,
  /^Am .{4,200} schrieb .{0,200}:\s*$/,
  /^Le .{4,200} a [ée]crit\s?:\s*$/,
  /^El .{4,200} escribi[óo]:\s*$/,
  /^-{2,}\s*(Original Message|Urspr[üu]ngliche Nachricht|Message d['’]origine|Mensaje original|Forwarded message|Weitergeleitete Nachricht)\s*-{2,}/i,
  /^_{20,}\s*$/,
  /^(From|Von|De):\s.+$/,
];
const signatureStarts: RegExp[] = [
  /^--\s?$/,
  /^(Sent from my|Von meinem .* gesendet|Envoy[ée] de mon|Enviado desde mi)/i,
  /^((best|kind|warm|many)\s+)?(regards|wishes|thanks|thank you),?\s*$/i,
  /^(cheers|thanks|br|mfg),?\s*$/i,
  /^(mit freundlichen gr[üu][ßs]en|viele gr[üu][ßs]e|beste gr[üu][ßs]e|cordialement|bien [àa] vous|bien cordialement|saludos|atentamente|un saludo|saludos cordiales),?\s*$/i,
];

/** At most this much of an email's own text becomes the touchpoint's internal notes. */
export const maxNotesLength = 2000;

/** The email's own words: quoted history and signature cut, blank runs folded, the first part only. */
export function ownText(text: string): string {
  const kept: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (quoteStarts.some((pattern) => pattern.test(trimmed))) break;
    if (kept.some((earlier) => earlier.trim() !== '') && signatureStarts.some((pattern) => pattern.test(trimmed))) break;
    kept.push(line.trimEnd());
  }
  const joined = kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
  return joined.length > maxNotesLength ? `${joined.slice(0, maxNotesLength - 1).trimEnd()}…` : joined;
}

export interface ForwardedMessage {
  from: MailAddress | null;
  to: MailAddress[];
  cc: MailAddress[];
  date: Date | null;
  subject: string;
  text: string;
}

const forwardMarker = /^(?:-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transf[ée]r[ée]|Mensaje reenviado|Original Message)\s*-{2,}|Begin forwarded message:|_{20,})\s*$/im;

function addressesInLine(value: string): MailAddress[] {
  const found: MailAddress[] = [];
  for (const part of value.split(/[,;](?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const address = normalizeAddress(/<([^>]+)>/.exec(part)?.[1] ?? /\[mailto:([^\]]+)\]/.exec(part)?.[1] ?? part.match(emailInText)?.[0]);
    if (address) found.push({ address, name: cleanHeaderText(part.replace(/<[^>]*>|\[mailto:[^\]]*\]/g, '').replace(/["']/g, '')) });
  }
  return found;
}

/** Dates as mail clients print them in a forward ("Mon, Nov 30, 2026 at 9:12 AM"), read in the user's zone. */
function forwardedDate(value: string, zone: string): Date | null {
  const cleaned = value.replace(/\s+at\s+/i, ' ').replace(/\s*\(.*\)$/, '').trim();
  const direct = Date.parse(cleaned);
  if (/([+-]\d{4}|GMT|UTC|Z)\b/.test(cleaned) && !Number.isNaN(direct)) return new Date(direct);
  for (const format of ['EEE, LLL d, yyyy h:mm a', 'EEEE, LLLL d, yyyy h:mm a', 'd LLLL yyyy HH:mm:ss', 'd LLLL yyyy HH:mm', 'EEE, d LLL yyyy HH:mm', 'dd.MM.yyyy HH:mm', 'yyyy-MM-dd HH:mm']) {
    const parsed = DateTime.fromFormat(cleaned, format, { zone, locale: 'en' });
    if (parsed.isValid) return parsed.toJSDate();
  }
  return Number.isNaN(direct) ? null : new Date(direct);
}

/** A conversation forwarded inline (Gmail, Outlook, Apple Mail): its own sender, recipients, date and text. */
export function inlineForward(text: string, zone: string): ForwardedMessage | null {
  const marker = forwardMarker.exec(text);
  if (!marker) return null;
  const lines = text.slice(marker.index + marker[0].length).replace(/^\n+/, '').split('\n');
  const fields: Record<string, string> = {};
  let index = 0;
  for (; index < Math.min(lines.length, 12); index++) {
    const header = /^\s*\*?(From|Von|De|Date|Sent|Datum|Gesendet|Envoy[ée]|Enviado|Fecha|To|An|[ÀA]|Para|Cc|Subject|Betreff|Objet|Asunto):\*?\s*(.*)$/i.exec(lines[index]!);
    if (!header) {
      if (lines[index]!.trim() === '' && Object.keys(fields).length > 0) break;
      continue;
    }
    const key = header[1]!.toLowerCase();
    const canonical = /^(from|von|de)$/.test(key)
      ? 'from'
      : /^(date|sent|datum|gesendet|envoy[ée]|enviado|fecha)$/.test(key)
        ? 'date'
        : /^(to|an|[àa]|para)$/.test(key)
          ? 'to'
          : key === 'cc'
            ? 'cc'
            : 'subject';
    fields[canonical] ??= header[2]!.trim();
  }
  if (!fields.from) return null;
  return {
    from: addressesInLine(fields.from)[0] ?? null,
    to: addressesInLine(fields.to ?? ''),
    cc: addressesInLine(fields.cc ?? ''),
    date: fields.date ? forwardedDate(fields.date, zone) : null,
    subject: cleanHeaderText(fields.subject, 500) ?? '',
    text: lines.slice(index).join('\n'),
  };
}

const forwardSubject = /^\s*(fwd?|fw|wg|tr|rv|enc|i)\s*:/i;

/** The conversation a message forwards, when it is a forward: attached whole, or quoted inline. */
export function forwardedConversation(message: ReadMessage, zone: string): ForwardedMessage | null {
  const attached = message.attachedMessages[0];
  if (attached && (forwardSubject.test(message.subject) || ownText(message.text) === '')) return attached;
  if (!forwardSubject.test(message.subject)) return null;
  return inlineForward(message.text, zone);
}
