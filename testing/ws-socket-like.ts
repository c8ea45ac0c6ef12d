import type { RawData, WebSocket } from 'ws';
import type { WebSocketLike } from '../protocol/device/relay-connection.ts';

/**
 * The `ws` socket as the core's WebSocketLike: text frames as strings, binary frames as an
 * ArrayBuffer (which the core refuses: the protocol has text frames only), and every socket
 * error kept for the close that follows (an EventEmitter error with no listener would throw).
 */
export function socketLike(socket: WebSocket, onError: (error: Error) => void): WebSocketLike {
  const like: WebSocketLike = {
    get readyState() {
      return socket.readyState;
    },
    onmessage: null,
    onclose: null,
    onerror: null,
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
  };
  socket.on('message', (data, isBinary) => like.onmessage?.({ data: isBinary ? arrayBufferOf(data) : rawText(data) }));
  socket.on('close', (code, reason) => like.onclose?.({ code, reason: reason.toString('utf8') }));
  socket.on('error', (error) => {
    onError(error);
    like.onerror?.(error);
  });
  return like;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function arrayBufferOf(data: RawData): ArrayBuffer {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
  return new Uint8Array(bytes).buffer;
}
