// GET /api/search: full-text search of runs and payloads is being built separately. Its route is reserved here so
// that a page or a client can tell "not in this version" (501, and /api/meta's `search: false`) from a mistake (404).
import { ApiError } from '../http/api-error.js';
import type { ViewerApp } from './route-context.js';

export function registerSearch(app: ViewerApp): void {
  app.get('/api/search', () => {
    throw new ApiError(501, 'not_implemented', 'search is not part of this version of the viewer; filter the runs list (GET /api/runs) instead');
  });
}
