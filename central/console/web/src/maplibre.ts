/**
 * MapLibre GL with its worker served from this origin. MapLibre 6 looks for its worker beside
 * its own module file, which the bundle renames (a 404: no source data, no grids, no tracks);
 * the CSP (script-src 'self') also refuses a blob: worker. So the worker file is emitted as an
 * asset and named here, before any map is made.
 */
import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import 'maplibre-gl/dist/maplibre-gl.css';

maplibregl.setWorkerUrl(new URL(workerUrl, location.href).href);

export { maplibregl };
