import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { SecurityEvent } from './security-events.ts';

/**
 * Sends security events to WEBHOOK_URL as JSON. The receiver checks
 * `X-Countersign-Signature: sha256={hex HMAC-SHA-256 of "{timestamp}.{body}" with WEBHOOK_SECRET}`
 * and rejects stale `X-Countersign-Timestamp` values, so a captured call cannot be replayed.
 */
export function webhookSender(url: string, secret: string, logger: Logger) {
  return (event: SecurityEvent): Promise<void> => {
    const body = JSON.stringify(event);
    const timestamp = String(Date.now());
    const signature = signWebhookBody(secret, timestamp, body);
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-countersign-timestamp': timestamp, 'x-countersign-signature': signature },
      body,
      signal: AbortSignal.timeout(5_000),
    }).then(
      (response) => {
        if (!response.ok) logger.warn({ event: event.type, status: response.status }, 'webhook answered with an error');
      },
      (error: unknown) => logger.warn({ event: event.type, err: error }, 'webhook failed'),
    );
  };
}

export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}
