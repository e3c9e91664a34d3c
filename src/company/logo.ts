import { ValidationFailed } from '../http/errors.js';
import type { LogoContentType } from './company.table.js';

/** Big enough for any sensible logo, small enough to sit in a database row and every PDF. */
export const logoMaxBytes = 200 * 1024;

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// An SVG is a document that can run scripts and fetch other files. Ours is shown only through
// <img> (which runs nothing) and served with a sandboxing CSP, but a logo that needs any of this
// is refused outright rather than cleaned: nothing is silently changed, and nothing risky is kept.
const svgDangers: [RegExp, string][] = [
  [/<script[\s>/]/i, 'a script'],
  [/\son[a-z]+\s*=/i, 'an event handler (onload=…)'],
  [/javascript:/i, 'a javascript: link'],
  [/<!(DOCTYPE|ENTITY)/i, 'a DOCTYPE or entity declaration'],
  [/<(foreignObject|iframe|embed|object|use)[\s>/]/i, 'embedded content'],
  [/\bhref\s*=\s*["'](?!#|data:image\/(png|jpeg|gif);)/i, 'a link to another file'],
  [/@import|url\(\s*["']?(?!#|data:image\/(png|jpeg|gif);)/i, 'a style that loads another file'],
];

/** Checks an uploaded logo: a PNG, or an SVG with no scripts, handlers or outside references. */
export function checkLogo(upload: { filename: string; data: Buffer } | undefined): { contentType: LogoContentType; data: Buffer } {
  const refuse = (message: string): never => {
    throw new ValidationFailed({ logo: message });
  };
  if (!upload || upload.data.length === 0) return refuse('Choose a PNG or SVG file');
  if (upload.data.length > logoMaxBytes) return refuse(`The logo is ${Math.ceil(upload.data.length / 1024)} kB; the limit is ${logoMaxBytes / 1024} kB`);
  if (upload.data.subarray(0, pngSignature.length).equals(pngSignature)) return { contentType: 'image/png', data: upload.data };

  const text = upload.data.toString('utf8');
  const start = text.replace(/^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*/, '');
  if (!/^<svg[\s>]/i.test(start) || !/<\/svg>\s*$/i.test(text)) return refuse('Upload a PNG or an SVG image');
  for (const [pattern, what] of svgDangers)
    if (pattern.test(text)) refuse(`This SVG contains ${what}. Save it again as a plain SVG, or upload a PNG`);
  return { contentType: 'image/svg+xml', data: upload.data };
}
