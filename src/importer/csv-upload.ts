import busboy from 'busboy';
import type { CsvSource } from './csv-records.js';
import type { Request } from 'express';
import { HttpError, PayloadTooLarge } from '../http/errors.js';

// The import form arrives as multipart/form-data: a chosen file, streamed straight into staging as
// it arrives, or text pasted into the box (held whole, so kept small). The route runs after sign-in
// and the CSRF check (its token rides in the form's address, since the body is not read before it).

/** The largest file the import page takes; the command line has no limit. */
export const maxUploadBytes = 20 * 1024 * 1024;
/** The most text the paste box takes. */
export const maxPastedBytes = 1024 * 1024;
/** Room for the multipart framing and the small fields beside the file. */
const framingBytes = 64 * 1024;

const fileTooLarge = () =>
  new PayloadTooLarge(
    `The file is larger than ${maxUploadBytes / 1024 / 1024} MB. Split it into smaller files and import them one after another, or import it with the command line (npm run cli -- import FILE.csv), which takes files of any size.`,
  );
const pasteTooLarge = () => new PayloadTooLarge(`The pasted text is over ${maxPastedBytes / 1024 / 1024} MB. Save it as a CSV file and choose the file instead.`);

export interface ReceivedCsv<T> {
  /** What `stage` returned, when a file was chosen. */
  staged?: T;
  /** What `stage` returned for each file chosen, in order (several when `maxFiles` allows). */
  stagedAll: T[];
  /** The text pasted into the box (the caller stages it when no file was chosen). */
  pasted?: string;
  /** The form's other small fields. */
  fields: Record<string, string>;
}

/**
 * Reads the import form and hands each chosen file (one, or up to `maxFiles`), as it streams in, to
 * `stage`. Files over the limit together are cut off and refused with 413; the rest of the request
 * is then read and thrown away so the browser gets the answer.
 */
export function receiveCsv<T>(req: Request, stage: (fileName: string, source: CsvSource, index: number) => Promise<T>, maxFiles = 1): Promise<ReceivedCsv<T>> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => {
      req.unpipe();
      req.resume();
      reject(error);
    };
    if (Number(req.get('content-length') ?? 0) > maxUploadBytes + framingBytes) return fail(fileTooLarge());
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, limits: { files: maxFiles, fileSize: maxUploadBytes, fields: 10, fieldSize: maxPastedBytes } });
    } catch {
      return fail(new HttpError(400, 'bad_request', 'The form could not be read.'));
    }
    const stagings: Promise<T>[] = [];
    let received = 0;
    let pasted: string | undefined;
    let pastedTooLarge = false;
    form.on('file', (name, stream, info) => {
      // A file input left empty still sends a part, with no file name.
      if ((name !== 'file' && name !== 'files') || !info.filename || stagings.length >= maxFiles) {
        stream.resume();
        return;
      }
      stream.once('limit', () => stream.destroy(fileTooLarge()));
      // The limit holds for all the files together (counted as they are read, without making the stream flow early).
      async function* counted(): AsyncGenerator<Buffer> {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > maxUploadBytes) throw fileTooLarge();
          yield chunk;
        }
      }
      const staging = stage(info.filename, maxFiles === 1 ? stream : counted(), stagings.length);
      staging.catch(fail);
      stagings.push(staging);
    });
    const fields: Record<string, string> = {};
    form.on('field', (name, value, info) => {
      if (name !== 'csv') {
        if (!info.valueTruncated) fields[name] = value;
        return;
      }
      if (info.valueTruncated) pastedTooLarge = true;
      else pasted = value;
    });
    form.on('error', fail);
    form.on('close', () => {
      if (pastedTooLarge && stagings.length === 0) return fail(pasteTooLarge());
      Promise.all(stagings).then((stagedAll) => resolve({ staged: stagedAll[0], stagedAll, pasted, fields }), reject);
    });
    req.pipe(form);
  });
}
