import type { RelayToDeviceMessage, SigninStatusResponse } from '../../protocol/messages.ts';
import { StatusListeners } from './status-listeners.ts';

/**
 * How messages reach devices and waiting browsers. The in-process one below serves a single
 * relay; a Redis-backed one carries the same calls across instances.
 */
export interface Fanout {
  /** Delivers to every socket, on any instance, that holds this device. */
  sendToDevice(deviceId: string, message: RelayToDeviceMessage): void;
  /** Delivers to every socket, on any instance, that holds a device of this user, except one device. */
  sendToUserDevices(userId: string, message: RelayToDeviceMessage, exceptDeviceId: string | null): void;
  /** Tells every browser waiting on this request, on any instance, its new status. */
  publishStatus(requestId: string, status: SigninStatusResponse): void;
  subscribeStatus(requestId: string, listener: (status: SigninStatusResponse) => void): () => void;
  /** Browsers waiting on this instance (open event streams). */
  readonly waitingBrowsers: number;
  /** The local hub registers here to receive device messages meant for its sockets. */
  setDeviceSink(sink: DeviceSink): void;
  close(): Promise<void>;
}

/** Where a fan-out hands device messages to the local hub. */
export interface DeviceSink {
  toDevice(deviceId: string, message: RelayToDeviceMessage): void;
  toUserDevices(userId: string, message: RelayToDeviceMessage, exceptDeviceId: string | null): void;
}

export const NO_DEVICE_SINK: DeviceSink = { toDevice: () => {}, toUserDevices: () => {} };

export class InProcessFanout implements Fanout {
  private deviceSink = NO_DEVICE_SINK;
  private readonly statusListeners = new StatusListeners();

  sendToDevice(deviceId: string, message: RelayToDeviceMessage): void {
    this.deviceSink.toDevice(deviceId, message);
  }

  sendToUserDevices(userId: string, message: RelayToDeviceMessage, exceptDeviceId: string | null): void {
    this.deviceSink.toUserDevices(userId, message, exceptDeviceId);
  }

  publishStatus(requestId: string, status: SigninStatusResponse): void {
    this.statusListeners.notify(requestId, status);
  }

  subscribeStatus(requestId: string, listener: (status: SigninStatusResponse) => void): () => void {
    return this.statusListeners.add(requestId, listener);
  }

  get waitingBrowsers(): number {
    return this.statusListeners.size;
  }

  setDeviceSink(sink: DeviceSink): void {
    this.deviceSink = sink;
  }

  async close(): Promise<void> {
    this.statusListeners.clear();
  }
}
