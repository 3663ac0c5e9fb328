// Entry of the tree workers (tree-workers.ts). A worker thread does not inherit the tsx hooks that `npx tsx`
// or the plasma bin installed in the main thread, so it registers them before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./tree-worker.ts');
