import type { Selectable } from 'kysely';

export const logoContentTypes = ['image/png', 'image/svg+xml'] as const;
export type LogoContentType = (typeof logoContentTypes)[number];

/** One row, id 1: company-wide settings (see the migration for why the logo is base64 text). */
export interface CompanySettingsTable {
  id: number;
  name: string | null;
  logo_base64: string | null;
  logo_content_type: LogoContentType | null;
  /** The address the server last announced at start; the CLI's mail links use it when BASE_URL is unset. */
  server_base_url: string | null;
  updated_at: string;
}

export type CompanySettings = Selectable<CompanySettingsTable>;
