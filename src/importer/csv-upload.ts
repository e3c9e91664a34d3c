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
  /** The text pasted into the box (the caller stages it when no file was chosen). */
  pasted?: string;
}

/**
 * Reads the import form and hands a chosen file, as it streams in, to `stage`. A file over the limit is
 * cut off and refused with 413; the rest of the request is then read and thrown away so the
 * browser gets the answer.
 */
export function receiveCsv<T>(req: Request, stage: (fileName: string, source: CsvSource) => Promise<T>): Promise<ReceivedCsv<T>> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown) => {
      req.unpipe();
      req.resume();
      reject(error);
    };
    if (Number(req.get('content-length') ?? 0) > maxUploadBytes + framingBytes) return fail(fileTooLarge());
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: req.headers, limits: { files: 1, fileSize: maxUploadBytes, fields: 10, fieldSize: maxPastedBytes } });
    } catch {
      return fail(new HttpError(400, 'bad_request', 'The form could not be read.'));
    }
    let staging: Promise<T> | undefined;
    let pasted: string | undefined;
    let pastedTooLarge = false;
    form.on('file', (name, stream, info) => {
      // A file input left empty still sends a part, with no file name.
      if (name !== 'file' || !info.filename || staging) {
        stream.resume();
        return;
      }
      stream.once('limit', () => stream.destroy(fileTooLarge()));
      staging = stage(info.filename, stream);
      staging.catch(fail);
    });
    form.on('field', (name, value, info) => {
      if (name !== 'csv') return;
      if (info.valueTruncated) pastedTooLarge = true;
      else pasted = value;
    });
    form.on('error', fail);
    form.on('close', () => {
      if (pastedTooLarge && !staging) return fail(pasteTooLarge());
      if (!staging) return resolve({ pasted });
      staging.then((staged) => resolve({ staged, pasted }), reject);
    });
    req.pipe(form);
  });
}
