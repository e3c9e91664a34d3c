import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { create } from 'express-handlebars';

// The ceiling of this stack on this machine: Express rendering a static Handlebars page, with no
// database, no session and no middleware. Every scenario's throughput is reported as a share of it.

const views = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ceiling');
const app = express();
app.engine('.hbs', create({ extname: '.hbs', defaultLayout: false }).engine);
app.set('view engine', '.hbs');
app.set('views', views);
app.get('/', (_req, res) => res.render('page'));
const server = app.listen(Number(process.env.PORT ?? 0), () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
