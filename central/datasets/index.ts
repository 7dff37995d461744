/**
 * @module central/datasets
 * Operator verdicts on AI cases as a training data set (./verdicts.ts) and its export as a
 * YOLO + COCO zip (./export.ts, ./routes.ts at `/api/datasets`).
 */
export { CLASSES, type ExportFilter, type ManifestSample, splitOf, writeDataset } from './export.js';
export { datasetRoutes } from './routes.js';
export { type Verdict, VerdictLog, verdictOf } from './verdicts.js';
