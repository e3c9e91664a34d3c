import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import type { Size } from './browser-app.js';

/** axe-core's serious and critical violations, one line each with the elements they concern. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} — ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

/** The page is wider than the screen: the phone would scroll sideways. */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/**
 * Controls and the links of forms and navigation smaller than 44×44 px. A checkbox or radio is
 * tapped through its label; a link inside a sentence is exempt (WCAG 2.5.8's inline exception).
 */
export function smallTapTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const minimum = 44 - 0.5;
    const inSentence = (element: Element) =>
      element.closest('p') !== null ||
      [...(element.parentElement?.childNodes ?? [])].some((node) => node.nodeType === Node.TEXT_NODE && (node.textContent ?? '').trim() !== '');
    const selector = 'button, .button, input:not([type=hidden]), select, textarea, summary, :is(form, nav, .actions, .pagination, .tabs) a[href]';
    const problems: string[] = [];
    for (const element of document.querySelectorAll(selector)) {
      const target = element.matches('input[type=checkbox], input[type=radio]') ? (element.closest('label') ?? element) : element;
      const box = target.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue; // hidden (closed <details>, print-only)
      if (element.matches('a') && inSentence(element)) continue;
      if (box.width < minimum || box.height < minimum) {
        const name = (element.getAttribute('aria-label') ?? element.textContent ?? element.getAttribute('name') ?? '').trim().slice(0, 40);
        problems.push(`${element.tagName.toLowerCase()} "${name}" is ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    return problems;
  });
}

/** Fields whose name says what they hold, with the input type that gives a phone the right keyboard. */
export function wrongInputTypes(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const expected: [RegExp, string][] = [
      [/(^|[[_])email\]?$/, 'email'],
      [/(^|[[_])phone\]?$/, 'tel'],
      [/_url\]?$/, 'url'],
      [/occurred_at\]?$/, 'datetime-local'],
      [/_on\]?$/, 'date'],
    ];
    const problems: string[] = [];
    for (const input of document.querySelectorAll<HTMLInputElement>('input[name]:not([type=hidden])')) {
      const want = expected.find(([pattern]) => pattern.test(input.name))?.[1];
      if (want && input.type !== want) problems.push(`${input.name} is type=${input.type}, not ${want}`);
    }
    return problems;
  });
}

/** One h1, and no heading that skips a level (an h2 straight to an h4). */
export function headingsOutOfOrder(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((heading) => ({ level: Number(heading.tagName[1]), text: (heading.textContent ?? '').trim().slice(0, 40) }));
    const problems = levels.filter((heading) => heading.level === 1).length === 1 ? [] : ['not exactly one h1'];
    levels.forEach((heading, index) => {
      const previous = levels[index - 1]?.level ?? 0;
      if (heading.level > previous + 1) problems.push(`h${heading.level} "${heading.text}" follows h${previous}`);
    });
    return problems;
  });
}

/** Everything a page must get right at any size, as a list of problems (empty when all is well). */
export async function pageProblems(page: Page): Promise<string[]> {
  return [
    ...((await scrollsSideways(page)) ? ['scrolls sideways'] : []),
    ...(await smallTapTargets(page)).map((problem) => `small tap target: ${problem}`),
    ...(await wrongInputTypes(page)).map((problem) => `input type: ${problem}`),
    ...(await headingsOutOfOrder(page)).map((problem) => `headings: ${problem}`),
    ...(await accessibilityViolations(page)),
  ];
}

const screenshotFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');

/** docs/screenshots/<name>-<size>.png: the top of the page (1600 px at most on a phone, 1000 on a laptop), kept small. */
export async function saveScreenshot(page: Page, name: string, size: Size): Promise<void> {
  mkdirSync(screenshotFolder, { recursive: true });
  const { width, height } = await page.evaluate(() => ({ width: document.documentElement.clientWidth, height: document.documentElement.scrollHeight }));
  await page.screenshot({
    path: path.join(screenshotFolder, `${name}-${size}.png`),
    fullPage: true,
    clip: { x: 0, y: 0, width, height: Math.min(height, size === 'phone' ? 1600 : 1000) },
    animations: 'disabled',
    caret: 'hide',
  });
}
