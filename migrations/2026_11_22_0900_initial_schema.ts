import { type ColumnDefinitionBuilder, type Kysely, PostgresAdapter } from 'kysely';

// Frozen in time: this file never imports application code.
// Conventions that keep SQLite and PostgreSQL alike: instants are ISO-8601 UTC text,
// dates are YYYY-MM-DD text, booleans are integers 0/1.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const idType = isPostgres(db) ? 'serial' : 'integer';
  const id = (column: ColumnDefinitionBuilder) =>
    isPostgres(db) ? column.primaryKey() : column.primaryKey().autoIncrement();

  await db.schema
    .createTable('users')
    .addColumn('id', idType, id)
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('manager_id', 'integer', (c) => c.references('users.id'))
    .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
    .addColumn('password_hash', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_manager_id').on('users').column('manager_id').execute();

  await db.schema
    .createTable('sessions')
    .addColumn('sid', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'integer')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', idType, id)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', idType, id)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('prospect'))
    .addColumn('meeting_cadence_days', 'integer', (c) => c.notNull().defaultTo(30))
    .addColumn('notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('customer_since', 'text')
    .addColumn('origin_contact_id', 'integer')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('accounts_owner').on('accounts').columns(['owner_id', 'archived', 'name']).execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('reports_to_contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('started_in_role_on', 'text')
    .addColumn('preferred_channel', 'text')
    .addColumn('preferred_time', 'text')
    .addColumn('birthday', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('leaving_on', 'text')
    .addColumn('left_on', 'text')
    .addColumn('departure_notice', 'text')
    .addColumn('departure_destination', 'text')
    .addColumn('replacement_contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contacts_account').on('contacts').columns(['account_id', 'status']).execute();
  await db.schema.createIndex('contacts_email').on('contacts').column('email').execute();

  // One row per role a contact holds; account_id is repeated so risk rules can work per account in one pass.
  await db.schema
    .createTable('contact_roles')
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('contacts.id'))
    .addColumn('account_id', 'integer', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_roles_pk', ['contact_id', 'role'])
    .execute();
  await db.schema.createIndex('contact_roles_account').on('contact_roles').columns(['account_id', 'role']).execute();

  await db.schema
    .createTable('touchpoints')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('author_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('internal_notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('value_delivered', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('testimonial_url', 'text')
    .addColumn('next_step', 'text')
    .addColumn('next_step_due_on', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('touchpoints_account_time').on('touchpoints').columns(['account_id', 'occurred_at']).execute();

  // Who took part; when/kind/location are copied from the touchpoint (they never change after logging)
  // so per-contact "last met" and "last outside meeting" come from one index.
  await db.schema
    .createTable('touchpoint_contacts')
    .addColumn('touchpoint_id', 'integer', (c) => c.notNull().references('touchpoints.id'))
    .addColumn('contact_id', 'integer', (c) => c.notNull().references('contacts.id'))
    .addColumn('account_id', 'integer', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('touchpoint_contacts_pk', ['touchpoint_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('touchpoint_contacts_account')
    .on('touchpoint_contacts')
    .columns(['account_id', 'contact_id', 'occurred_at'])
    .execute();
  await db.schema
    .createIndex('touchpoint_contacts_contact')
    .on('touchpoint_contacts')
    .columns(['contact_id', 'occurred_at'])
    .execute();

  await db.schema
    .createTable('commitments')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('manual'))
    .addColumn('touchpoint_id', 'integer', (c) => c.references('touchpoints.id'))
    .addColumn('departed_contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('playbook_step', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('commitments_account').on('commitments').columns(['account_id', 'done_at', 'due_on']).execute();
  await db.schema
    .createIndex('commitments_playbook')
    .on('commitments')
    .columns(['departed_contact_id', 'playbook_step'])
    .unique()
    .execute();

  await db.schema
    .createTable('complaints')
    .addColumn('id', idType, id)
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('contact_id', 'integer', (c) => c.references('contacts.id'))
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('issue', 'text', (c) => c.notNull())
    .addColumn('raised_on', 'text', (c) => c.notNull())
    .addColumn('acknowledged_on', 'text')
    .addColumn('acknowledged_by_id', 'integer', (c) => c.references('users.id'))
    .addColumn('resolution', 'text')
    .addColumn('response', 'text')
    .addColumn('resolved_on', 'text')
    .addColumn('resolved_by_id', 'integer', (c) => c.references('users.id'))
    .addColumn('follow_up_due_on', 'text')
    .addColumn('verified_on', 'text')
    .addColumn('verified_by_id', 'integer', (c) => c.references('users.id'))
    .addColumn('satisfied', 'integer')
    .addColumn('outcome', 'text')
    .addColumn('internal_notes', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('complaints_account').on('complaints').columns(['account_id', 'verified_on', 'follow_up_due_on']).execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', idType, id)
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.references('users.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .addColumn('context', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_entity').on('audit_events').columns(['entity_type', 'entity_id', 'at']).execute();

  await db.schema
    .createTable('digest_deliveries')
    .addColumn('id', idType, id)
    .addColumn('manager_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('iso_week', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('subject', 'text')
    .addColumn('message_id', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('digest_deliveries_once_a_week', ['manager_id', 'iso_week'])
    .execute();

  await db.schema
    .createTable('risk_snapshots')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('accounts.id'))
    .addColumn('iso_week', 'text', (c) => c.notNull())
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('flags', 'text', (c) => c.notNull())
    .addColumn('taken_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('risk_snapshots_pk', ['iso_week', 'account_id'])
    .execute();

}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'risk_snapshots',
    'digest_deliveries',
    'audit_events',
    'complaints',
    'commitments',
    'touchpoint_contacts',
    'touchpoints',
    'contact_roles',
    'contacts',
    'accounts',
    'api_tokens',
    'sessions',
    'users',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
