import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { riskRules } from '../../src/risk/risk.rules.js';

describe('the README risk table', () => {
  it('lists every rule with the weight and severity the code uses', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Map(
      [...readme.matchAll(/^\| `([a-z_]+)` \| (\d+) \| (low|medium|high) \|/gm)].map((match) => [match[1], { weight: Number(match[2]), severity: match[3] }]),
    );
    expect(Object.fromEntries(documented)).toEqual(
      Object.fromEntries(riskRules.map((rule) => [rule.code, { weight: rule.weight, severity: rule.severity }])),
    );
  });
});
