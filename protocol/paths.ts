/** The protocol's two device-facing endpoints (docs/protocol.md sections 3 and 4), spelled once. */
export const REDEEM_PAIRING_PATH = '/api/v1/pairings/redeem';
export const DEVICE_CONNECT_PATH = '/api/v1/devices/connect';
