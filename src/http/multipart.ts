import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

// A small multipart/form-data reader for the one form that uploads a file (the company logo).
// The whole body is read into memory under a hard limit (express.raw answers 413 beyond it), so
// a bounded upload needs no streaming parser. Fields land in req.body (so CSRF and zod see them
// as with any form); files in req.body[name] as { filename, contentType, data }.

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

const headerEnd = Buffer.from('\r\n\r\n');

function parseParts(body: Buffer, boundary: string): Record<string, string | UploadedFile> {
  const delimiter = Buffer.from(`--${boundary}`);
  const fields: Record<string, string | UploadedFile> = {};
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const partStart = at + delimiter.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, partStart);
    if (next === -1) break;
    // Each part: CRLF, headers, a blank line, the content, CRLF before the next delimiter.
    const part = body.subarray(partStart + 2, next - 2);
    const split = part.indexOf(headerEnd);
    if (split !== -1) {
      const headers = part.subarray(0, split).toString('utf8');
      const content = part.subarray(split + headerEnd.length);
      const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1];
      const filename = /content-disposition:[^\r\n]*\bfilename="([^"]*)"/i.exec(headers)?.[1];
      if (name !== undefined) {
        fields[name] =
          filename === undefined
            ? content.toString('utf8')
            : { filename, contentType: /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream', data: Buffer.from(content) };
      }
    }
    at = next;
  }
  return fields;
}

export function multipartForm({ limit }: { limit: string }): RequestHandler[] {
  return [
    express.raw({ type: 'multipart/form-data', limit }),
    (req: Request, _res: Response, next: NextFunction) => {
      const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(req.get('content-type') ?? '');
      if (Buffer.isBuffer(req.body) && boundary) req.body = parseParts(req.body, boundary[1] ?? boundary[2]!);
      next();
    },
  ];
}

export const uploadedFile = (body: unknown, name: string): UploadedFile | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return value && typeof value === 'object' && Buffer.isBuffer((value as UploadedFile).data) ? (value as UploadedFile) : undefined;
};
