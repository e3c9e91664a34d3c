// How wide a line of text is, estimated from Arial's advance widths (Liberation Sans has the same
// metrics), so labels can be fitted into the org chart's cards on the server without a browser.
// The chart names that font first; other sans fonts are close, and a small margin covers them.

// Thousandths of an em for the printable ASCII characters, space (32) to tilde (126).
const asciiWidths = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584,
  584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
  278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500,
  500, 334, 260, 334, 584,
];
const otherWidths: Record<string, number> = { '·': 278, '…': 1000, '—': 1000, '–': 556, '’': 222, '‘': 222 };
/** Bold runs about a tenth wider; the margin covers fonts a little wider than Arial. */
const boldFactor = 1.1;
const safetyMargin = 1.06;

export function textWidth(text: string, fontSize: number, bold = false): number {
  let thousandths = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    thousandths += code >= 32 && code <= 126 ? asciiWidths[code - 32]! : (otherWidths[char] ?? 667);
  }
  return (thousandths / 1000) * fontSize * (bold ? boldFactor : 1) * safetyMargin;
}

/** The text as it fits in `maxWidth`: whole, or cut at a word (else a letter) with an ellipsis. */
export function fitText(text: string, maxWidth: number, fontSize: number, bold = false): { text: string; abbreviated: boolean } {
  if (textWidth(text, fontSize, bold) <= maxWidth) return { text, abbreviated: false };
  const characters = [...text];
  let length = characters.length;
  while (length > 0 && textWidth(`${characters.slice(0, length).join('').trimEnd()}…`, fontSize, bold) > maxWidth) length--;
  const cut = characters.slice(0, length).join('');
  // Prefer ending at a word when that keeps most of the line.
  const atWord = cut.replace(/[\s·,;-]+[^\s·,;-]*$/, '');
  const kept = atWord.length >= cut.length * 0.6 ? atWord : cut;
  return { text: `${kept.trimEnd()}…`, abbreviated: true };
}
