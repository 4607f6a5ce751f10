import pkg from '../../../package.json' with { type: 'json' };

/** pbxlink's version, from package.json (bundled into dist by esbuild). */
export const VERSION: string = (pkg as { version: string }).version;
