#!/usr/bin/env node
// Runs the TypeScript CLI straight from a checkout; packaged builds ship compiled code instead.
import { register } from 'tsx/esm/api';

register();
await import('../collector/cli.ts');
