import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { flash, handleForm } from '../http/forms.js';
import { parseInput } from '../http/validation.js';
import { mailboxSchema } from './mailbox.schemas.js';
import { connectMailbox, disconnectMailbox, mailboxStatusFor } from './mailbox.service.js';
import { createCaptureAddress, hasCaptureAddress } from './capture-address.js';

// Settings → Connect your mailbox. The password field is never filled back in, not even after an error.

export function mailboxPages({ db, clock, config }: AppContext): Router {
  const router = Router();
  const page = async (userId: number, extra: object = {}) => ({
    view: 'mailbox/settings',
    data: {
      title: 'Connect your mailbox',
      mailbox: await mailboxStatusFor(db, userId),
      keyConfigured: Boolean(config.mailCredentialsKey),
      captureConfigured: Boolean(config.mailCaptureAddress),
      hasCaptureAddress: await hasCaptureAddress(db, userId),
      ...extra,
    },
  });

  router.get('/settings/mailbox', async (req, res) => {
    const viewer = viewerOf(req);
    const current = await page(viewer.id);
    res.render(current.view, { ...current.data, values: { port: 993, tls: true, username: viewer.email, ...(current.data.mailbox ?? {}) } });
  });

  router.post('/settings/mailbox', async (req, res) => {
    const viewer = viewerOf(req);
    const { password, ...typed } = (req.body ?? {}) as Record<string, unknown>;
    req.body = typed;
    await handleForm(
      req,
      res,
      async () => {
        const input = parseInput(mailboxSchema, { ...typed, password });
        await db.transaction().execute((trx) => connectMailbox(trx, clock, config.mailCredentialsKey, viewer, input));
        flash(req, 'Mailbox connected. The first sync reads the last 90 days; it starts within five minutes.');
        res.redirect('/settings/mailbox');
      },
      () => page(viewer.id),
    );
  });

  router.post('/settings/mailbox/capture-address', async (req, res) => {
    const viewer = viewerOf(req);
    if (!config.mailCaptureAddress) {
      res.redirect('/settings/mailbox');
      return;
    }
    const address = await db.transaction().execute((trx) => createCaptureAddress(trx, clock, viewer.id, config.mailCaptureAddress!));
    const current = await page(viewer.id, { newCaptureAddress: address });
    res.render(current.view, { ...current.data, values: { port: 993, tls: true, username: viewer.email, ...(current.data.mailbox ?? {}) } });
  });

  router.post('/settings/mailbox/disconnect', async (req, res) => {
    const viewer = viewerOf(req);
    await db.transaction().execute((trx) => disconnectMailbox(trx, viewer));
    flash(req, 'Mailbox disconnected: its credentials are deleted. What was already logged stays.');
    res.redirect('/settings/mailbox');
  });
  return router;
}
