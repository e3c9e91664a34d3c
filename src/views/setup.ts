import path from 'node:path';
import type { Express } from 'express';
import { create } from 'express-handlebars';
import * as dates from './helpers/dates.js';
import * as forms from './helpers/forms.js';
import * as labels from './helpers/labels.js';
import * as risk from './helpers/risk.js';
import * as timeZones from './helpers/time-zones.js';
import { projectRoot } from '../project-root.js';

export const viewsFolder = path.join(projectRoot, 'views');

export const handlebars = create({
  extname: '.hbs',
  defaultLayout: 'main',
  layoutsDir: path.join(viewsFolder, 'layouts'),
  partialsDir: path.join(viewsFolder, 'partials'),
  helpers: { ...dates, ...forms, ...labels, ...risk, ...timeZones },
});

export function setUpViews(app: Express): void {
  app.engine('.hbs', handlebars.engine);
  app.set('view engine', '.hbs');
  app.set('views', viewsFolder);
}
