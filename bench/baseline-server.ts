import { DEVICE_CONNECT_PATH } from '../protocol/paths.ts';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The benchmark's yardstick: a bare `ws` + `node:http` server doing the relay's message exchange
 * and nothing else. Same paths, frames and event stream as the relay, so the load generator runs
 * the same code against both; but no database, no signature check, no policy, no fan-out layer.
 * What the relay does beyond this is the cost of its work. Run by bench/run.ts (PORT from env).
 */

interface Pending {
  number: string;
  browserToken: string;
  status: 'pending' | 'approved' | 'wrong_number';
  streams: Set<http.ServerResponse>;
}

const sockets = new Map<string, WebSocket>();
const requests = new Map<string, Pending>();
const id = () => randomBytes(16).toString('base64url');

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function writeStatus(stream: http.ServerResponse, status: string): void {
  stream.write(`event: status\ndata: ${JSON.stringify({ status })}\n\n`);
  if (status !== 'pending') stream.end();
}

function json(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const server = http.createServer((request, response) => {
  const url = request.url ?? '/';
  if (request.method === 'POST' && url === '/api/v1/signins') {
    readBody(request).then(
      (text) => {
        const { upn, deviceId } = JSON.parse(text) as { upn: string; deviceId: string };
        const socket = sockets.get(deviceId);
        if (!socket) return json(response, 422, { error: { code: 'no_push_method', message: 'no device' } });
        const requestId = id();
        const number = String(randomBytes(1)[0]! % 100).padStart(2, '0');
        const browserToken = id();
        const now = Date.now();
        requests.set(requestId, { number, browserToken, status: 'pending', streams: new Set() });
        socket.send(
          JSON.stringify({
            type: 'challenge',
            requestId,
            deviceId,
            account: { upn, displayName: 'Bench' },
            app: null,
            context: { ip: '127.0.0.1', location: 'Local network', browser: 'Unknown browser', os: 'Unknown OS' },
            match: { mode: 'type', digits: 2 },
            createdAt: now,
            expiresAt: now + 120_000,
          }),
        );
        json(response, 201, { requestId, number, digits: 2, expiresAt: now + 120_000, browserToken });
      },
      () => json(response, 400, { error: { code: 'invalid_request', message: 'bad body' } }),
    );
    return;
  }
  const events = /^\/api\/v1\/signins\/([^/]+)\/events$/.exec(url);
  if (request.method === 'GET' && events) {
    const pending = requests.get(events[1]!);
    if (!pending || request.headers.authorization !== `Bearer ${pending.browserToken}`)
      return json(response, 404, { error: { code: 'not_found', message: 'no such request' } });
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (pending.status !== 'pending') {
      writeStatus(response, pending.status);
      requests.delete(events[1]!);
      return;
    }
    pending.streams.add(response);
    writeStatus(response, 'pending');
    response.on('close', () => pending.streams.delete(response));
    return;
  }
  json(response, 404, { error: { code: 'not_found', message: 'no such endpoint' } });
});

const wss = new WebSocketServer({ server, path: DEVICE_CONNECT_PATH, perMessageDeflate: false });
wss.on('connection', (socket) => {
  const deviceIds: string[] = [];
  socket.send(JSON.stringify({ type: 'hello', nonce: id(), serverTime: Date.now() }));
  socket.on('message', (data) => {
    // Only text frames arrive here, and ws hands them over as one Buffer.
    const message = JSON.parse((data as Buffer).toString('utf8')) as { type: string; [key: string]: unknown };
    if (message.type === 'auth') {
      for (const credential of message.credentials as { deviceId: string }[]) {
        deviceIds.push(credential.deviceId);
        sockets.set(credential.deviceId, socket);
      }
      socket.send(JSON.stringify({ type: 'ready', accepted: deviceIds, rejected: [] }));
    } else if (message.type === 'unlock') {
      // The least a server can do for an unlock (section 4a): answer at once. The bench device
      // checks evaluations only against the relay, so the blinded element itself stands in.
      socket.send(JSON.stringify({ type: 'unlocked', deviceId: message.deviceId, evaluated: message.blinded, attemptsLeft: 10 }));
    } else if (message.type === 'decision') {
      const requestId = message.requestId as string;
      const pending = requests.get(requestId);
      if (!pending || pending.status !== 'pending') {
        socket.send(JSON.stringify({ type: 'result', requestId, outcome: 'already_decided' }));
        return;
      }
      pending.status = message.number === pending.number ? 'approved' : 'wrong_number';
      socket.send(JSON.stringify({ type: 'result', requestId, outcome: pending.status }));
      for (const stream of pending.streams) writeStatus(stream, pending.status);
      // Keep the settled request only until a browser that has not yet opened its stream reads it.
      if (pending.streams.size > 0) requests.delete(requestId);
    }
  });
  socket.on('close', () => {
    for (const deviceId of deviceIds) if (sockets.get(deviceId) === socket) sockets.delete(deviceId);
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`baseline listening on ${typeof address === 'object' && address ? address.port : '?'}`);
});
process.on('SIGTERM', () => process.exit(0));
