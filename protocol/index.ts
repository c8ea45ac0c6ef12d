/** The wire protocol both sides share (docs/protocol.md). Pure re-exports; nothing runs on import. */
export * from './admin-messages.ts';
export * from './device-keys.ts';
export * from './encoding.ts';
export * from './errors.ts';
export * from './limits.ts';
export * from './loopback-host.ts';
export * from './messages.ts';
export * from './number-match.ts';
export * from './pairing-link.ts';
export * from './parse.ts';
export * from './paths.ts';
export * from './signin-reasons.ts';
export * from './statements.ts';
