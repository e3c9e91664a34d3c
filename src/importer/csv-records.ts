import { isUtf8 } from 'node:buffer';
import { Readable, pipeline } from 'node:stream';
import { parse } from 'csv-parse';

// Reads a CSV file as a stream of rows, each with the line it starts on, holding one row (at most
// maxRowBytes) plus csv-parse's small buffers at a time. A row that cannot be read is a problem
// row with a reason, and the rows after it are read as usual:
//
// - csv-parse alone stops at the first malformed quote (and its skip-on-error mode loses its place
//   in the file), so a small quote-aware splitter first cuts the bytes into rows and checks each:
//   a quoted cell with text after its closing quote, a quote opened and never closed (the rest of
//   the file would become one cell), a row longer than maxRowBytes, or bytes that are not UTF-8.
// - The rows that pass go on to csv-parse's stream parser, which splits them into cells. Each is
//   prefixed with its line number as an extra first cell, so every record that comes out names its
//   line whatever the quoting; rows the splitter refused pass through as just their line number.
//
// A quote inside a cell that does not start with one (5" screen) is kept as written, as
// spreadsheets do. A byte-order mark and CRLF line ends are fine.

/** A file's bytes (or text) as they arrive: a stream, or pieces already in hand. */
export type CsvSource = AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

export type CsvRecord = { line: number; cells: string[] } | { line: number; problem: string };

/** The longest row read; longer ones are problem rows (usually a quote opened and never closed). */
export const maxRowBytes = 64 * 1024;

const quote = 0x22;
const comma = 0x2c;
const newline = 0x0a;
const carriageReturn = 0x0d;
const byteOrderMark = Buffer.from([0xef, 0xbb, 0xbf]);

type Piece = { line: number; bytes: Buffer } | { line: number; problem: string };

/** Where the splitter is within a row. */
const enum At {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just after a quote inside a quoted cell: an escaped quote, the closing one, or junk. */
  QuoteInQuoted,
}

class RowSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private at = At.FieldStart;
  private textAfterClosingQuote = false;
  /** Discarding the rest of an over-long line. */
  private skipping = false;
  private line = 1;
  private rowLine = 1;
  /** The file's first bytes, held until there are enough to tell a byte-order mark; null once told. */
  private head: Buffer | null = Buffer.alloc(0);

  *push(chunk: Buffer): Generator<Piece> {
    if (this.head !== null) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < byteOrderMark.length) return;
      chunk = this.withoutByteOrderMark();
    }
    yield* this.scan(chunk);
  }

  private withoutByteOrderMark(): Buffer {
    const head = this.head!;
    this.head = null;
    return head.subarray(0, byteOrderMark.length).equals(byteOrderMark) ? head.subarray(byteOrderMark.length) : head;
  }

  *end(): Generator<Piece> {
    if (this.head !== null) yield* this.scan(this.withoutByteOrderMark());
    while (!this.skipping && this.size > 0) {
      const held = this.take(Buffer.alloc(0));
      if (this.at === At.Quoted || (this.textAfterClosingQuote && held.includes(newline))) yield* this.unclosedQuote(held);
      else return yield this.finishRow(held);
    }
  }

  private *scan(chunk: Buffer): Generator<Piece> {
    let start = 0;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index]!;
      if (this.skipping) {
        if (byte === newline) {
          this.line += 1;
          this.startRow();
          start = index + 1;
        }
        continue;
      }
      if (byte === newline) {
        this.line += 1;
        if (this.at !== At.Quoted) {
          // A quoted cell over several lines with text after its "closing" quote: most likely a
          // quote on the first line was never closed, and a later one was taken for its end.
          if (this.textAfterClosingQuote && this.line - 1 > this.rowLine) yield* this.unclosedQuote(this.take(chunk.subarray(start, index + 1)));
          else yield this.finishRow(this.take(chunk.subarray(start, index)));
          start = index + 1;
          continue;
        }
      } else {
        this.step(byte);
      }
      if (this.size + (index + 1 - start) > maxRowBytes) {
        const held = this.take(chunk.subarray(start, index + 1));
        start = index + 1;
        if (this.at === At.Quoted) yield* this.unclosedQuote(held);
        else {
          yield { line: this.rowLine, problem: `this row is longer than ${maxRowBytes / 1024} KB` };
          this.skipping = true;
        }
      }
    }
    if (start < chunk.length && !this.skipping) {
      this.parts.push(chunk.subarray(start));
      this.size += chunk.length - start;
    }
  }

  private step(byte: number) {
    switch (this.at) {
      case At.FieldStart:
        this.at = byte === quote ? At.Quoted : byte === comma ? At.FieldStart : At.Unquoted;
        break;
      case At.Unquoted:
        if (byte === comma) this.at = At.FieldStart;
        break;
      case At.Quoted:
        if (byte === quote) this.at = At.QuoteInQuoted;
        break;
      case At.QuoteInQuoted:
        if (byte === quote) this.at = At.Quoted;
        else if (byte === comma) this.at = At.FieldStart;
        else if (byte !== carriageReturn) {
          this.textAfterClosingQuote = true;
          this.at = At.Unquoted;
        }
        break;
    }
  }

  /** The row held so far plus `tail`, and a fresh row begins. */
  private take(tail: Buffer): Buffer {
    const row = this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]);
    this.parts = [];
    this.size = 0;
    return row;
  }

  private startRow() {
    this.parts = [];
    this.size = 0;
    this.at = At.FieldStart;
    this.textAfterClosingQuote = false;
    this.skipping = false;
    this.rowLine = this.line;
  }

  /** A quote opened on the row's first line never closed: that line is a problem, the lines after it are read again as rows. */
  private *unclosedQuote(held: Buffer): Generator<Piece> {
    const line = this.rowLine;
    yield { line, problem: 'a quote (") opens a cell that never closes: put quotes around the whole cell, and double any quote inside it' };
    const firstLineEnd = held.indexOf(newline);
    this.line = line;
    this.startRow();
    if (firstLineEnd < 0) {
      this.skipping = true;
      return;
    }
    this.line = line + 1;
    this.rowLine = this.line;
    yield* this.scan(held.subarray(firstLineEnd + 1));
  }

  private finishRow(bytes: Buffer): Piece {
    const line = this.rowLine;
    const junk = this.textAfterClosingQuote;
    this.startRow();
    if (bytes.at(-1) === carriageReturn) bytes = bytes.subarray(0, -1);
    if (junk) return { line, problem: 'text after the closing quote of a cell: put quotes around the whole cell, and double any quote inside it' };
    if (!isUtf8(bytes)) return { line, problem: 'this row has bytes that are not UTF-8 text: save the file as "CSV UTF-8" and try again' };
    return { line, bytes };
  }
}

/** The rows of a CSV file (bytes as they arrive), each with its line, or the reason it cannot be read. */
export async function* readCsvRecords(source: CsvSource): AsyncGenerator<CsvRecord> {
  const splitter = new RowSplitter();
  // Problems of rows already handed to the parser, by line: at most the few in its buffers.
  const problems = new Map<number, string>();
  async function* pieces(): AsyncGenerator<Buffer> {
    const out: Buffer[] = [];
    const send = (piece: Piece) => {
      if ('problem' in piece) {
        problems.set(piece.line, piece.problem);
        out.push(Buffer.from(`${piece.line}\n`));
      } else if (piece.bytes.length > 0) out.push(Buffer.from(`${piece.line},`), piece.bytes, Buffer.from('\n'));
    };
    for await (const chunk of source) {
      for (const piece of splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) send(piece);
      if (out.length > 0) yield Buffer.concat(out.splice(0));
    }
    for (const piece of splitter.end()) send(piece);
    if (out.length > 0) yield Buffer.concat(out.splice(0));
  }
  const parser = parse({ record_delimiter: '\n', relax_quotes: true, relax_column_count: true });
  // pipeline, not pipe: a failing source (an upload cut off, over its limit) fails the parser too.
  pipeline(Readable.from(pieces()), parser, () => undefined);
  for await (const [lineCell, ...cells] of parser as AsyncIterable<string[]>) {
    const line = Number(lineCell);
    const problem = problems.get(line);
    if (problem !== undefined) {
      problems.delete(line);
      yield { line, problem };
    } else yield { line, cells };
  }
}
