/**
 * The device side of the protocol, written once for the extension, the virtual device and the
 * bench. Free of DOM, Node and extension APIs: sockets and key storage are injected.
 */
export * from './account-removal.ts';
export * from './connection-auth.ts';
export * from './decision.ts';
export * from './device-crypto.ts';
export * from './pairing.ts';
export * from './pin-frames.ts';
export * from './reconnect.ts';
export * from './relay-connection.ts';
export * from './relay-connections.ts';
export * from './relay-frames.ts';
export * from './relay-origin.ts';
