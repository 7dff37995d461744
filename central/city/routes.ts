/**
 * @module central/city/routes
 * Reference data for clients: catalog, grids (GeoJSON), organisation tree, collectors.
 */
import { Hono } from 'hono';
import type { AuthEnv, UserDirectory } from '../auth/index.js';
import { requireUser } from '../auth/index.js';
import type { City } from './index.js';

export function cityRoutes(city: City, users: UserDirectory): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  app.use('*', requireUser(users));
  app.get('/catalog', (c) => c.json(city.catalog));
  app.get('/grids', (c) =>
    c.json({ type: 'FeatureCollection', features: [...city.grids.values()].map((g) => g.feature) }),
  );
  app.get('/org', (c) => c.json({ units: [...city.units.values()] }));
  app.get('/collectors', (c) => c.json({ collectors: [...city.collectors.values()] }));
  return app;
}
