/** The public QA kit (`countersign/testing`). Pure re-exports; nothing runs on import. */
export {
  VirtualDevice,
  VirtualDeviceError,
  DEVICE_CONNECT_PATH,
  REDEEM_PAIRING_PATH,
  type CloseInfo,
  type DecisionInput,
  type FromRelay,
  type InvalidFrame,
  type ReceivedChallenge,
  type VirtualDeviceEvents,
  type VirtualDeviceOptions,
  type WaitOptions,
} from './virtual-device.ts';
export { DeviceStore, type AccountInfo, type DeviceAccount } from './device-store.ts';
export {
  AdminClient,
  SigninClient,
  RelayHttpError,
  readServerSentEvents,
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
export { startRelay, type RunningRelay, type StartRelayOptions } from './start-relay.ts';
