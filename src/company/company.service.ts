import type { Clock } from '../clock.js';
import type { DbOrTx } from '../db/database.js';
import type { CompanySettingsTable, LogoContentType } from './company.table.js';

// The selling company's name and logo, and the server's public address, in one row (id 1).

const settingsId = 1;

/** The name and logo the report and digest are issued under; both null until an admin sets them. */
export interface CompanyBranding {
  name: string | null;
  logo: { contentType: LogoContentType; base64: string; version: string } | null;
}

async function saveSettings(db: DbOrTx, clock: Clock, change: Partial<Omit<CompanySettingsTable, 'id' | 'updated_at'>>): Promise<void> {
  const updated_at = clock.now().toISOString();
  await db
    .insertInto('company_settings')
    .values({ id: settingsId, name: null, logo_base64: null, logo_content_type: null, server_base_url: null, ...change, updated_at })
    .onConflict((conflict) => conflict.column('id').doUpdateSet({ ...change, updated_at }))
    .execute();
}

export async function getCompanyBranding(db: DbOrTx): Promise<CompanyBranding> {
  const row = await db
    .selectFrom('company_settings')
    .select(['name', 'logo_base64', 'logo_content_type', 'updated_at'])
    .where('id', '=', settingsId)
    .executeTakeFirst();
  const logo = row?.logo_base64 && row.logo_content_type ? { contentType: row.logo_content_type, base64: row.logo_base64, version: row.updated_at } : null;
  return { name: row?.name ?? null, logo };
}

export const saveCompanyName = (db: DbOrTx, clock: Clock, name: string | null) => saveSettings(db, clock, { name });

export const saveCompanyLogo = (db: DbOrTx, clock: Clock, logo: { contentType: LogoContentType; data: Buffer } | null) =>
  saveSettings(db, clock, { logo_base64: logo?.data.toString('base64') ?? null, logo_content_type: logo?.contentType ?? null });

/** Called by the server at start, so the command line can build the same links without BASE_URL. */
export const recordServerBaseUrl = (db: DbOrTx, clock: Clock, baseUrl: string) => saveSettings(db, clock, { server_base_url: baseUrl });

export async function recordedServerBaseUrl(db: DbOrTx): Promise<string | null> {
  const row = await db.selectFrom('company_settings').select('server_base_url').where('id', '=', settingsId).executeTakeFirst();
  return row?.server_base_url ?? null;
}

/** The logo as an inline data: address (the PDF page has no network; an <img> never runs an SVG's scripts). */
export const logoDataUrl = (logo: NonNullable<CompanyBranding['logo']>) => `data:${logo.contentType};base64,${logo.base64}`;
