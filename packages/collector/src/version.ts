import { createRequire } from 'node:module';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Reported to the collector in every Hello. */
export const SOFTWARE = `outpost-collector/${version}`;
export const VERSION = version;
