#!/usr/bin/env node
// The `plasma` bin: loads tsx's ESM hooks in this process, then runs the TypeScript entry.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const entry = new URL('./plasma.ts', import.meta.url);
process.argv[1] = fileURLToPath(entry);
await import(entry.href);
