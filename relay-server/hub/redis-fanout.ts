import { Redis } from 'ioredis';
import type { RelayToDeviceMessage, SigninStatusResponse } from '../../protocol/messages.ts';
import { StatusListeners } from './status-listeners.ts';
import { NO_DEVICE_SINK, type DeviceSink, type Fanout } from './fanout.ts';

const DEVICE_CHANNEL = 'countersign:v1:devices';
const STATUS_CHANNEL = 'countersign:v1:status';

/**
 * Fan-out across relay instances over Redis pub/sub: every instance hears every device message
 * and delivers it to the sockets it holds; browsers waiting on any instance hear every status.
 * No sticky sessions needed. ioredis reconnects and resubscribes by itself after a Redis restart;
 * what was published while this instance was not subscribed is gone (pub/sub keeps nothing), so
 * `onResubscribed` listeners then make up for it from the database.
 */
export class RedisFanout implements Fanout {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private deviceSink = NO_DEVICE_SINK;
  private readonly statusListeners = new StatusListeners();
  private readonly resubscribedListeners: (() => void)[] = [];
  readonly ready: Promise<void>;

  constructor(
    redisUrl: string,
    onError: (error: unknown) => void = () => {},
    /** Called once per command sent (the bench counts them per sign-in through /metrics). */
    onCommand: () => void = () => {},
  ) {
    const options = {
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
    };
    this.publisher = new Redis(redisUrl, options);
    this.subscriber = new Redis(redisUrl, options);
    for (const client of [this.publisher, this.subscriber]) {
      const send = client.sendCommand.bind(client);
      client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
        onCommand();
        return send(...args);
      };
    }
    this.publisher.on('error', onError);
    this.subscriber.on('error', onError);
    this.subscriber.on('message', (channel: string, payload: string) => this.receive(channel, payload));
    this.ready = this.subscriber.subscribe(DEVICE_CHANNEL, STATUS_CHANNEL).then(() => undefined);
    let connections = 0;
    this.subscriber.on('ready', () => {
      if (++connections === 1) return;
      // Redis answers in order: once this answers, ioredis's own resubscription is in force too.
      this.subscriber
        .subscribe(DEVICE_CHANNEL, STATUS_CHANNEL)
        .then(() => {
          for (const listener of this.resubscribedListeners) listener();
        })
        .catch(onError);
    });
  }

  /** Runs after every reconnection to Redis, once this instance hears both channels again. */
  onResubscribed(listener: () => void): void {
    this.resubscribedListeners.push(listener);
  }

  /** The requests a browser waits on at this instance. */
  waitingRequestIds(): string[] {
    return this.statusListeners.requestIds();
  }

  /** Tells this instance's waiting browsers a status read from the database (nothing is published). */
  notifyHere(requestId: string, status: SigninStatusResponse): void {
    this.statusListeners.notify(requestId, status);
  }

  sendToDevice(deviceId: string, message: RelayToDeviceMessage): void {
    void this.publisher.publish(DEVICE_CHANNEL, JSON.stringify({ deviceId, message })).catch(() => {});
  }

  sendToUserDevices(userId: string, message: RelayToDeviceMessage, exceptDeviceId: string | null): void {
    void this.publisher.publish(DEVICE_CHANNEL, JSON.stringify({ userId, exceptDeviceId, message })).catch(() => {});
  }

  publishStatus(requestId: string, status: SigninStatusResponse): void {
    void this.publisher.publish(STATUS_CHANNEL, JSON.stringify({ requestId, status })).catch(() => {});
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

  async ping(): Promise<boolean> {
    try {
      return (await this.publisher.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  private receive(channel: string, payload: string): void {
    try {
      if (channel === DEVICE_CHANNEL) {
        const addressed = JSON.parse(payload) as
          | { deviceId: string; message: RelayToDeviceMessage }
          | { userId: string; exceptDeviceId: string | null; message: RelayToDeviceMessage };
        if ('deviceId' in addressed) this.deviceSink.toDevice(addressed.deviceId, addressed.message);
        else this.deviceSink.toUserDevices(addressed.userId, addressed.message, addressed.exceptDeviceId);
      } else if (channel === STATUS_CHANNEL) {
        const { requestId, status } = JSON.parse(payload) as { requestId: string; status: SigninStatusResponse };
        this.statusListeners.notify(requestId, status);
      }
    } catch {
      // Only relays publish here; a payload we cannot read is dropped rather than crash the hub.
    }
  }

  async close(): Promise<void> {
    this.statusListeners.clear();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}
