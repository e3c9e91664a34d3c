import { type Request, Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { NotFound, ValidationFailed } from '../http/errors.js';
import { entityId, parseIdParam } from '../http/fields.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { label } from '../views/helpers/labels.js';
import { type FieldChoice, chooseFields, countLinks, mergeContacts, mergePair } from './contact-merge.service.js';
import { contactToJson, getContactForUser, listContactsForAccount } from './contacts.service.js';

const mergeSchema = z.object({ into_contact_id: entityId });

function contactIdOf(req: Request): number {
  const id = parseIdParam(req.params.id);
  if (id === null) throw new NotFound('That contact');
  return id;
}

const shown = (value: unknown) => (Array.isArray(value) ? value.map(label).join(', ') : value === null || value === undefined || value === '' ? '—' : String(value));

/** "title “VP Sales” (from Tom Reed)": the fields where the merged contact's value won. */
function describeChoices(choices: FieldChoice[], mergedName: string) {
  return choices.filter((choice) => choice.from === 'merged' && choice.value !== null).map((choice) => `${label(choice.field).toLowerCase()} “${shown(choice.value)}” (from ${mergedName})`);
}

export function contactMergePages({ db, clock }: AppContext): Router {
  const router = Router();

  const mergePage = async (req: Request, mergedId: number, intoValue: unknown) => {
    const viewer = viewerOf(req);
    const merged = await getContactForUser(db, viewer, mergedId);
    const colleagues = (await listContactsForAccount(db, merged.account_id, { includeArchived: true })).filter((contact) => contact.id !== merged.id);
    const data: Record<string, unknown> = { title: `Merge ${merged.name} into…`, merged, colleagues, values: { into_contact_id: intoValue ?? '' } };
    if (intoValue !== undefined && intoValue !== '') {
      const { into_contact_id } = parseInput(mergeSchema, { into_contact_id: intoValue });
      const pair = await mergePair(db, viewer, merged.id, into_contact_id);
      const names = { into: pair.into.name, merged: pair.merged.name };
      data.into = pair.into;
      data.choices = chooseFields(pair.into, pair.merged).map((choice) => ({ ...choice, value: shown(choice.value), dropped: choice.dropped === null ? null : shown(choice.dropped), fromName: names[choice.from] }));
      data.moves = await countLinks(db, merged.id);
    }
    return { view: 'contacts/merge', data };
  };

  router.get('/contacts/:id/merge', async (req, res) => {
    const mergedId = contactIdOf(req);
    const into = typeof req.query.into_contact_id === 'string' ? req.query.into_contact_id : undefined;
    try {
      const page = await mergePage(req, mergedId, into);
      res.render(page.view, page.data);
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      const page = await mergePage(req, mergedId, undefined);
      res.status(400).render(page.view, { ...page.data, values: { into_contact_id: into }, errors: error.fields, formError: error.message });
    }
  });

  router.post('/contacts/:id/merge', async (req, res) => {
    const viewer = viewerOf(req);
    const mergedId = (await getContactForUser(db, viewer, contactIdOf(req))).id;
    await handleForm(
      req,
      res,
      async () => {
        const { into_contact_id } = parseInput(mergeSchema, req.body);
        const { contact, choices, merged } = await db.transaction().execute((trx) => mergeContacts(trx, clock, viewer, mergedId, into_contact_id));
        const kept = describeChoices(choices, merged.name);
        flash(req, [`Merged ${merged.name} into ${contact.name}`, ...(kept.length > 0 ? [`kept ${kept.join(', ')}`] : [])].join(' · '));
        res.redirect(`/contacts/${contact.id}`);
      },
      () => mergePage(req, mergedId, undefined),
    );
  });
  return router;
}

export function contactMergeApi({ db, clock }: AppContext): Router {
  const router = Router();
  router.post('/contacts/:id/merge', async (req, res) => {
    const viewer = viewerOf(req);
    const mergedId = (await getContactForUser(db, viewer, contactIdOf(req))).id;
    const { into_contact_id } = parseInput(mergeSchema, req.body);
    const { contact, choices, moved } = await db.transaction().execute((trx) => mergeContacts(trx, clock, viewer, mergedId, into_contact_id));
    res.json({
      ...contactToJson(contact),
      merge: {
        merged_contact_id: mergedId,
        kept: Object.fromEntries(choices.map((choice) => [choice.field === 'departure_notice' ? 'notice' : choice.field === 'departure_destination' ? 'destination' : choice.field, choice.from])),
        moved,
      },
    });
  });
  return router;
}
