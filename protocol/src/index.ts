/** The pbxlink wire contract: topics, envelopes, schemas, signing (the AsyncAPI/JSON Schema generators live in schemas/asyncapi.ts and schemas/json-schemas.ts). */
export * from './errors';
export * from './topics';
export * from './envelope';
export * from './keys';
export * from './signing';
export * from './schemas/index';
