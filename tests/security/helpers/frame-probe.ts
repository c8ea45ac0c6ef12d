import { WebSocket } from 'ws';
import { randomId } from '../../../protocol/encoding.ts';
import { RawDeviceSocket } from '../../integration/helpers/raw-device-socket.ts';

/** What the relay did about one frame: the frames it answered with, and the close if it closed. */
export interface FrameOutcome {
  answers: Array<Record<string, any>>;
  close: { code: number; reason: string } | undefined;
  /** Malformed frames this socket had sent, this one included (the relay closes at three). */
  malformedSoFar: number;
}

/**
 * An authenticated device socket that sends one frame at a time and then a probe, a well-formed
 * decision for a device that is not on the socket (answered `result rejected unknown_device`,
 * changing nothing), so the answer to the frame is known to be complete without any sleep.
 * It reconnects (and authenticates again) after a close, and before the relay's per-socket
 * frame budget (a burst of 60 on a relay clock that does not move) could run out.
 */
export class FrameProbe {
  private raw: RawDeviceSocket | undefined;
  private framesOnSocket = 0;
  private malformed = 0;

  constructor(private readonly authenticate: () => Promise<{ raw: RawDeviceSocket; ready: Record<string, any> }>) {}

  /** Opens an authenticated socket with RawDeviceSocket.authenticated(origin, [keys]). */
  static forKeys(origin: string, keys: Array<{ deviceId: string; connectKey: Uint8Array }>): FrameProbe {
    return new FrameProbe(() => RawDeviceSocket.authenticated(origin, keys));
  }

  async send(payload: string | Uint8Array): Promise<FrameOutcome> {
    if (!this.raw || this.raw.socket.readyState !== WebSocket.OPEN || this.framesOnSocket >= 40) await this.reopen();
    const raw = this.raw!;
    const start = raw.frames.length;
    const probeId = randomId();
    raw.socket.send(payload, { binary: typeof payload !== 'string' });
    raw.send({
      type: 'decision',
      requestId: probeId,
      deviceId: randomId(),
      decision: 'deny',
      number: '',
      signedAt: 0,
      unlock: 'none',
      signature: 'A'.repeat(86),
    });
    this.framesOnSocket += 2;
    await raw.next('result', 0, (frame) => frame.requestId === probeId).catch(() => undefined);
    const close = raw.socket.readyState === WebSocket.CLOSED ? await raw.closed : undefined;
    const answers = raw.frames.slice(start).filter((frame) => frame.requestId !== probeId);
    this.malformed += answers.filter((frame) => frame.type === 'error' && frame.code === 'malformed_frame').length;
    return { answers, close, malformedSoFar: this.malformed };
  }

  private async reopen(): Promise<void> {
    if (this.raw && this.raw.socket.readyState === WebSocket.OPEN) this.raw.socket.close();
    const { raw, ready } = await this.authenticate();
    if ((ready.accepted as string[]).length === 0) throw new Error(`the probe's credentials were refused: ${JSON.stringify(ready)}`);
    this.raw = raw;
    this.framesOnSocket = 0;
    this.malformed = 0;
  }
}
