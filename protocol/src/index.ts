/** The pbxlink wire contract: topics, envelopes, schemas, signing. */
export * from './errors';
export * from './topics';
export * from './envelope';
export * from './schemas/index';
