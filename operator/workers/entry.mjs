// Entry of every pool worker (pool.ts). A worker thread does not inherit the tsx hooks that `npx tsx` or the
// plasma bin installed in the main thread, so it registers them, then imports the TypeScript job module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
