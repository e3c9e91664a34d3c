import path from 'node:path';
import express, { type Express } from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pino, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './app-context.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Mailer } from './mail/mailer.js';
import { bearerUser, requirePageUser, sessionUser } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { refuseControlCharacters } from './http/control-characters.js';
import { csrfProtection } from './http/csrf.js';
import { DatabaseSessionStore } from './http/session-store.js';
import { setUpViews } from './views/setup.js';
import { accountsApi, accountsPages } from './accounts/accounts.routes.js';
import { contactsApi, contactsPages } from './contacts/contacts.routes.js';
import { touchpointsApi, touchpointsPages } from './touchpoints/touchpoints.routes.js';
import { touchpointEditPages, touchpointEditsApi } from './touchpoints/touchpoint-edits.routes.js';
import { searchApi, searchPages } from './search/search.routes.js';
import { contactMergeApi, contactMergePages } from './contacts/contact-merge.routes.js';
import { adminPages, loginPages, meApi, settingsPages } from './users/users.routes.js';
import { dashboardPages } from './dashboard/dashboard.routes.js';
import { playbookApi, playbookPages } from './playbook/playbook.routes.js';
import { riskApi } from './risk/risk.routes.js';
import { complaintsApi, complaintsPages } from './complaints/complaints.routes.js';
import { commitmentsApi, commitmentsPages } from './commitments/commitments.routes.js';
import { importerPages } from './importer/importer.routes.js';
import { vendorImportPages } from './importer/vendor-import.routes.js';
import { csvExportPages } from './csv-export/csv-export.routes.js';
import { reportsPages } from './reports/reports.routes.js';
import { digestApi, digestPages } from './digest/digest.routes.js';
import { repWeekApi, repWeekPages } from './rep-week/rep-week.routes.js';
import { calendarFeedApi, calendarFeedPages } from './calendar-feed/calendar-feed.routes.js';
import { mailInApi, mailInPages } from './mail-in/mail-in.routes.js';
import { mailboxPages } from './mailbox/mailbox.routes.js';
import { projectRoot } from './project-root.js';
import { companyPages } from './company/company.routes.js';
import { multipartForm } from './http/multipart.js';
import { statementLog } from './db/statement-count.js';

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
  // Only the proxies TRUST_PROXY names (default: one on this machine) may set the client's address.
  app.set('trust proxy', config.trustProxy);
  setUpViews(app);

  if (config.statementLog) app.use(statementLog(config.statementLog));
  app.use(
    pinoHttp({
      logger,
      // Never log credentials: no headers, no bodies.
      // The path of a calendar feed is its secret: logged without it.
      serializers: { req: (req) => ({ method: req.method, url: req.url?.split('?')[0]?.replace(/^\/calendar\/.*/, '/calendar/…') }), res: (res) => ({ statusCode: res.statusCode }) },
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
  api.use(refuseControlCharacters);
  api.use(bearerUser(db, clock));
  api.use(meApi(ctx), accountsApi(ctx), contactsApi(ctx), touchpointsApi(ctx), riskApi(ctx), playbookApi(ctx));
  api.use(complaintsApi(ctx), commitmentsApi(ctx));
  api.use(digestApi(ctx));
  api.use(touchpointEditsApi(ctx), searchApi(ctx), contactMergeApi(ctx));
  api.use(repWeekApi(ctx), calendarFeedApi(ctx));
  api.use(mailInApi(ctx));
  api.use(notFoundHandler);
  app.use('/api/v1', api);
  app.use('/api', notFoundHandler);
  // Calendar apps poll the private feed address with no session or token.
  app.use(calendarFeedPages(ctx));

  // Pages: sessions in the database, CSRF token on every form. Forms are small; the import's
  // multipart upload is not parsed here but streamed by its route, after sign-in and CSRF.
  // The logo upload is the one multipart form; over the logo's limit it is refused beside the field.
  app.use('/admin/company/logo', multipartForm({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: true, limit: '200kb' }));
  app.use(refuseControlCharacters);
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
  const csrf = csrfProtection(config);
  app.use(csrf.protect);
  app.use((req, res, next) => {
    res.locals.csrfToken = csrf.tokenFor(req, res);
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
  app.use(reportsPages(ctx), companyPages(ctx));
  app.use(digestPages(ctx));
  app.use(touchpointEditPages(ctx), searchPages(ctx), contactMergePages(ctx));
  app.use(repWeekPages(ctx));
  app.use(mailInPages(ctx), mailboxPages(ctx));

  app.use(complaintsPages(ctx), commitmentsPages(ctx), vendorImportPages(ctx), importerPages(ctx), csvExportPages(ctx));
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
