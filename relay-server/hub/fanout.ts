import type { RelayToDeviceMessage, SigninStatusResponse } from '../../protocol/messages.ts';
import { StatusListeners } from './status-listeners.ts';

/**
 * How messages reach devices and waiting browsers. The in-process one below serves a single
 * relay; a Redis-backed one carries the same calls across instances.
 */
export interface Fanout {
  /** Delivers to every socket, on any instance, that holds this device. */
  sendToDevice(deviceId: string, message: RelayToDeviceMessage): void;
  /** Tells every browser waiting on this request, on any instance, its new status. */
  publishStatus(requestId: string, status: SigninStatusResponse): void;
  subscribeStatus(requestId: string, listener: (status: SigninStatusResponse) => void): () => void;
  /** The local hub registers here to receive device messages meant for its sockets. */
  setDeviceSink(sink: (deviceId: string, message: RelayToDeviceMessage) => void): void;
  close(): Promise<void>;
}

export class InProcessFanout implements Fanout {
  private deviceSink: (deviceId: string, message: RelayToDeviceMessage) => void = () => {};
  private readonly statusListeners = new StatusListeners();

  sendToDevice(deviceId: string, message: RelayToDeviceMessage): void {
    this.deviceSink(deviceId, message);
  }

  publishStatus(requestId: string, status: SigninStatusResponse): void {
    this.statusListeners.notify(requestId, status);
  }

  subscribeStatus(requestId: string, listener: (status: SigninStatusResponse) => void): () => void {
    return this.statusListeners.add(requestId, listener);
  }

  setDeviceSink(sink: (deviceId: string, message: RelayToDeviceMessage) => void): void {
    this.deviceSink = sink;
  }

  async close(): Promise<void> {
    this.statusListeners.clear();
  }
}
