/** Schemas of the wire contract (TypeBox → JSON Schema); types via Static<>. */
export * from './agent-info';
export * from './audit';
export * from './calls';
export * from './cdr';
export * from './claims';
export * from './common';
export * from './envelope';
export * from './extensions';
export * from './followme';
export * from './peers';
export * from './recordings';
export * from './registry';
export * from './status';
export * from './system';
export * from './validate';
