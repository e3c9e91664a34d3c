import path from 'node:path';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { csrfSync } from 'csrf-sync';
import type { AppContext } from './app-context.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Mailer } from './mail/mailer.js';
import { bearerUser, requirePageUser, sessionUser } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { DatabaseSessionStore } from './http/session-store.js';
import { setUpViews } from './views/setup.js';
import { accountsApi, accountsPages } from './accounts/accounts.routes.js';
import { contactsApi, contactsPages } from './contacts/contacts.routes.js';
import { touchpointsApi, touchpointsPages } from './touchpoints/touchpoints.routes.js';
import { adminPages, loginPages, meApi, settingsPages } from './users/users.routes.js';
import { dashboardPages } from './dashboard/dashboard.routes.js';
import { playbookApi, playbookPages } from './playbook/playbook.routes.js';
import { riskApi } from './risk/risk.routes.js';
import { complaintsApi, complaintsPages } from './complaints/complaints.routes.js';
import { commitmentsApi, commitmentsPages } from './commitments/commitments.routes.js';
import { importerPages } from './importer/importer.routes.js';
import { csvExportPages } from './csv-export/csv-export.routes.js';
import { reportsPages } from './reports/reports.routes.js';
import { digestApi, digestPages } from './digest/digest.routes.js';
import { mailInApi, mailInPages } from './mail-in/mail-in.routes.js';
import { mailboxPages } from './mailbox/mailbox.routes.js';
import { projectRoot } from './project-root.js';

const publicFolder = path.join(projectRoot, 'public');

export interface AppDependencies {
  db: Db;
  clock: Clock;
  mailer: Mailer;
  config: Config;
  logger?: Logger;
}

export function createApp(dependencies: AppDependencies): Express {
  const logger = dependencies.logger ?? pino({ level: dependencies.config.logLevel });
  const ctx: AppContext = { ...dependencies, logger };
  const { db, clock, config } = ctx;
  const app = express();
  // One proxy hop (a load balancer) at most; never `true`, which would let clients fake their IP.
  app.set('trust proxy', 1);
  setUpViews(app);

  app.use(
    pinoHttp({
      logger,
      // Never log credentials: no headers, no bodies.
      serializers: { req: (req) => ({ method: req.method, url: req.url?.split('?')[0] }), res: (res) => ({ statusCode: res.statusCode }) },
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/static/') },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'img-src': ["'self'", 'data:'], 'upgrade-insecure-requests': null } },
      hsts: config.secureCookies,
    }),
  );
  app.use('/static', express.static(publicFolder, { maxAge: '1h' }));

  // The JSON API: bearer tokens, no cookies, so no CSRF.
  const api = express.Router();
  api.use(express.json({ limit: '100kb' }));
  api.use(bearerUser(db, clock));
  api.use(meApi(ctx), accountsApi(ctx), contactsApi(ctx), touchpointsApi(ctx), riskApi(ctx), playbookApi(ctx));
  api.use(complaintsApi(ctx), commitmentsApi(ctx));
  api.use(digestApi(ctx));
  api.use(mailInApi(ctx));
  api.use(notFoundHandler);
  app.use('/api/v1', api);
  app.use('/api', notFoundHandler);

  // Pages: sessions in the database, CSRF token on every form. An import carries a whole
  // spreadsheet (a company's accounts and contacts run to megabytes); every other form is small.
  app.use('/import', express.urlencoded({ extended: true, limit: '20mb' }));
  app.use(express.urlencoded({ extended: true, limit: '200kb' }));
  app.use(
    session({
      name: 'buychain.sid',
      secret: config.sessionSecret,
      store: new DatabaseSessionStore(db, clock),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: 14 * 24 * 3600 * 1000 },
    }),
  );
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => (req.body as Record<string, string> | undefined)?._csrf ?? req.get('x-csrf-token'),
  });
  app.use(csrfSynchronisedProtection);
  app.use((req, res, next) => {
    res.locals.csrfToken = generateToken(req);
    res.locals.now = clock.now().toISOString();
    res.locals.flash = req.session.flash;
    delete req.session.flash;
    next();
  });
  app.use(sessionUser(db));
  app.use(loginPages(ctx));
  app.use(requirePageUser);
  app.get('/', (_req, res) => res.redirect('/accounts'));
  app.use(dashboardPages(ctx), accountsPages(ctx), contactsPages(ctx), touchpointsPages(ctx), playbookPages(ctx), settingsPages(ctx), adminPages(ctx));
  app.use(reportsPages(ctx));
  app.use(digestPages(ctx));
  app.use(mailInPages(ctx), mailboxPages(ctx));

  app.use(complaintsPages(ctx), commitmentsPages(ctx), importerPages(ctx), csvExportPages(ctx));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
