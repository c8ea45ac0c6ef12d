/** The public QA kit (`countersign/testing`). Pure re-exports; nothing runs on import. */
export {
  VIRTUAL_DEVICE_PIN,
  VirtualDevice,
  VirtualDeviceError,
  DEVICE_CONNECT_PATH,
  REDEEM_PAIRING_PATH,
  type ApprovalUnlock,
  type ApproveOptions,
  type CloseInfo,
  type ConnectionState,
  type DecisionInput,
  type FromRelay,
  type InvalidFrame,
  type PairOptions,
  type PinChange,
  type PinUnlockEvent,
  type ReceivedChallenge,
  type ReceivedNotice,
  type VirtualDeviceEvents,
  type VirtualDeviceOptions,
  type WaitOptions,
} from './virtual-device.ts';
export { VirtualAuthenticator } from './virtual-authenticator.ts';
export { DeviceStore, DeviceStoreError, KEY_FILE_VERSION, type AccountInfo, type DeviceAccount } from './device-store.ts';
export {
  AdminClient,
  SigninClient,
  RelayHttpError,
  type AdminUser,
  type ClientOptions,
  type CompletedSignin,
  type CreatedSignin,
  type CreatedUser,
  type PairingOffer,
  type SigninHandle,
  type SigninRecord,
  type SigninStatus,
  type TemporaryAccessPass,
} from './admin-client.ts';
export { EventStreamParser, readServerSentEvents, type ServerSentEvent } from './event-stream-parser.ts';
export { startRelay, type RunningRelay, type StartRelayOptions } from './start-relay.ts';
export { registerOidcApp, type OidcApp, type OidcAppOptions } from './oidc-app.ts';
export {
  freePort,
  startRegisteredSampleApp,
  startSampleApp,
  startSignInAtApp,
  type RunningSampleApp,
  type SampleAppOptions,
} from './sample-app.ts';
