/** The pbxlink wire contract: topics, envelopes, schemas, signing (the AsyncAPI/JSON Schema generators live in schemas/asyncapi.ts and schemas/json-schemas.ts). */

export * from './envelope';
export * from './errors';
export * from './keys';
export * from './schemas/index';
export * from './signing';
export * from './topics';
