import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DbOrTx } from '../db/database.js';
import { type AccountRisk, type Flag, riskRuleByCode, riskRulesModule } from './risk.rules.js';

// Every rule counts whole days in the viewer's zone, so an assessment made on a local day stays
// true all that day unless the account's data changes. Writers bump accounts.risk_version; readers
// trust a cached assessment only for the same zone, day and version. A reader that computed from
// data a writer then changed stamps the old version, so its result is simply never trusted.

const rulesFingerprint = createHash('sha256').update(readFileSync(fileURLToPath(riskRulesModule))).digest('hex').slice(0, 12);

/**
 * What a remembered assessment holds for, kept in account_risk.local_day: the viewer's local day
 * and the rules that made it ("2026-11-23@3f9c0a1b2c4d", a hash of the rules module), so after a
 * deploy that changes a rule no one is shown a score the old rules gave.
 */
export const rememberedFor = (localDay: string) => `${localDay}@${rulesFingerprint}`;

/** Call in the same transaction as any write to what the risk rules read about these accounts. */
export async function riskInputsChanged(db: DbOrTx, accountIds: number[]): Promise<void> {
  if (accountIds.length === 0) return;
  await db
    .updateTable('accounts')
    .set((eb) => ({ risk_version: eb('risk_version', '+', 1) }))
    .where('id', 'in', [...new Set(accountIds)])
    .execute();
}

export interface FreshAssessment {
  account_id: number;
  risk_version: number;
  risk: AccountRisk;
}

const rowsPerStatement = 500;

export async function rememberRisk(db: DbOrTx, zone: string, localDay: string, assessments: FreshAssessment[]): Promise<void> {
  // Many statements: one transaction commits them once (inside a caller's transaction, join it).
  if (!db.isTransaction && assessments.length > rowsPerStatement) return db.transaction().execute((trx) => rememberRisk(trx, zone, localDay, assessments));
  for (let start = 0; start < assessments.length; start += rowsPerStatement) {
    const rows = assessments.slice(start, start + rowsPerStatement).map(({ account_id, risk_version, risk }) => ({
      account_id,
      time_zone: zone,
      local_day: rememberedFor(localDay),
      risk_version,
      risk: rememberedForm(risk),
      score: risk.score,
      level: risk.level,
      flag_codes: flagCodesColumn(risk.flags.map((flag) => flag.code)),
      meeting_due_in_days: risk.decision_maker_meeting?.due_in_days ?? null,
    }));
    await db
      .insertInto('account_risk')
      .values(rows)
      .onConflict((conflict) =>
        conflict.columns(['account_id', 'time_zone']).doUpdateSet((eb) => ({
          local_day: eb.ref('excluded.local_day'),
          risk_version: eb.ref('excluded.risk_version'),
          risk: eb.ref('excluded.risk'),
          score: eb.ref('excluded.score'),
          level: eb.ref('excluded.level'),
          flag_codes: eb.ref('excluded.flag_codes'),
          meeting_due_in_days: eb.ref('excluded.meeting_due_in_days'),
        })),
      )
      .execute();
  }
}

/** ",boss_unknown,single_threaded,": each code once, between commas. */
export const flagCodesColumn = (codes: string[]) => (codes.length === 0 ? '' : `,${[...new Set(codes)].join(',')},`);

/**
 * What is remembered of an assessment is what the rules decided: a flag's severity, label and next
 * action are its rule's own (unless the flag overrides them) and are filled in again on reading, which keeps each row small (the
 * company-wide snapshot writes 100,000 of them). The stamp (rememberedFor) guarantees the rules
 * reading a row are the ones that wrote it.
 */
function rememberedForm(risk: AccountRisk): string {
  return JSON.stringify({
    ...risk,
    flags: risk.flags.map(({ code, message, contact_id, severity, next_action }) => {
      const rule = riskRuleByCode.get(code)!;
      // A flag that overrides its rule's severity or next action (a recovery's next step) keeps its own.
      return { code, message, contact_id, ...(severity !== rule.severity ? { severity } : {}), ...(next_action !== rule.next_action ? { next_action } : {}) };
    }),
  });
}

export function recalledRisk(remembered: string): AccountRisk {
  const risk = JSON.parse(remembered) as Omit<AccountRisk, 'flags'> & { flags: (Pick<Flag, 'code' | 'message' | 'contact_id'> & Partial<Pick<Flag, 'severity' | 'next_action'>>)[] };
  const flags = risk.flags.map(({ code, ...raised }): Flag => {
    const rule = riskRuleByCode.get(code)!;
    return { code, severity: rule.severity, label: rule.label, next_action: rule.next_action, ...raised };
  });
  return { ...risk, flags };
}
