import { WebSocket } from 'ws';
import { DEVICE_CONNECT_PATH } from '../../../protocol/paths.ts';
import { WAIT_MS } from '../../integration/helpers/test-relay.ts';

/**
 * Opens a device socket (with `headers`, e.g. an X-Forwarded-For) and resolves with how it ended
 * up: open with a first frame, or closed with a code.
 */
export function probeDeviceSocket(
  origin: string,
  headers: Record<string, string> = {},
): Promise<{ socket: WebSocket; closeCode?: number; firstFrame?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${origin.replace('http', 'ws')}${DEVICE_CONNECT_PATH}`, { headers });
    const timer = setTimeout(() => reject(new Error(`socket neither greeted nor closed within ${WAIT_MS} ms`)), WAIT_MS);
    socket.on('error', () => undefined);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve({ socket, firstFrame: JSON.parse(data.toString()).type });
    });
    socket.once('close', (code) => {
      clearTimeout(timer);
      resolve({ socket, closeCode: code });
    });
  });
}
