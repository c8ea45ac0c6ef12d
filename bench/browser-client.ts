import http from 'node:http';
import { EventStreamParser } from '../testing/event-stream-parser.ts';

/**
 * The browser side of a sign-in as the load generator plays it: plain `node:http` over a
 * keep-alive agent (global fetch costs several times more CPU per request, which would land on
 * the load generator's side of the ledger and blur the relay's figure).
 */

export interface JsonResponse {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** The `name=value` of a cookie a response set, for a later request's `Cookie` header (undefined: not set). */
export function cookieFrom(response: JsonResponse, name: string): string | undefined {
  for (const line of response.headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0]!;
    if (pair.startsWith(`${name}=`)) return pair;
  }
  return undefined;
}

export class BrowserClient {
  private readonly agent: http.Agent;

  constructor(maxSockets: number) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(
    origin: string,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
    bearer?: string,
    timeoutMs = 15_000,
    extraHeaders: Record<string, string> = {},
  ): Promise<JsonResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    return new Promise((resolve, reject) => {
      const request = http.request(`${origin}${path}`, { method, headers, agent: this.agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = text;
          }
          resolve({ status: response.statusCode ?? 0, body: parsed, headers: response.headers });
        });
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${path} timed out`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  /**
   * Opens the Server-Sent Events stream of a sign-in and resolves with the first status other
   * than `pending` (the moment a browser would move on); the stream is then read to its end so
   * the connection goes back to the pool.
   */
  outcome(
    origin: string,
    requestId: string,
    browserToken: string,
    timeoutMs = 15_000,
    extraHeaders: Record<string, string> = {},
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${origin}/api/v1/signins/${requestId}/events`,
        {
          method: 'GET',
          headers: { accept: 'text/event-stream', authorization: `Bearer ${browserToken}`, ...extraHeaders },
          agent: this.agent,
          timeout: timeoutMs,
        },
        (response) => {
          if (response.statusCode !== 200) {
            response.resume();
            reject(new Error(`events answered ${response.statusCode}`));
            return;
          }
          response.setEncoding('utf8');
          const parser = new EventStreamParser();
          let settled = false;
          response.on('data', (chunk: string) => {
            if (settled) return;
            for (const event of parser.push(chunk)) {
              if (event.event !== 'status') continue;
              const status = (JSON.parse(event.data) as { status: string }).status;
              if (status !== 'pending') {
                settled = true;
                resolve(status);
                return;
              }
            }
          });
          response.on('end', () => {
            if (!settled) reject(new Error('event stream ended while pending'));
          });
          response.on('error', (error) => {
            if (!settled) reject(error);
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error('event stream timed out')));
      request.on('error', reject);
      request.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
