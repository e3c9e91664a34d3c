import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { viewerOf } from '../http/auth.js';
import { fieldErrors, parseInput } from '../http/validation.js';
import { searchQuerySchema } from './search.schemas.js';
import { search } from './search.service.js';

export function searchPages({ db }: AppContext): Router {
  const router = Router();
  router.get('/search', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const title = q ? `Search: ${q}` : 'Search';
    // Opening the page without a query (the phone's search icon) just shows the box.
    if (!q.trim()) return res.render('search/results', { title, q, searchQuery: q });
    const parsed = searchQuerySchema.safeParse({ q });
    if (!parsed.success) return res.status(400).render('search/results', { title, q, searchQuery: q, errors: fieldErrors(parsed.error) });
    const results = await search(db, viewerOf(req), parsed.data.q);
    res.render('search/results', { title, q, searchQuery: q, searched: true, results });
  });
  return router;
}

export function searchApi({ db }: AppContext): Router {
  const router = Router();
  router.get('/search', async (req, res) => {
    const { q } = parseInput(searchQuerySchema, req.query);
    res.json({ data: await search(db, viewerOf(req), q) });
  });
  return router;
}
