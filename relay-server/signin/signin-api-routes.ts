import { Hono } from 'hono';
import { CreateSigninBody, type SigninStatusResponse } from '../../protocol/messages.ts';
import { ApiError } from '../api-error.ts';
import { clientContext } from '../http/client-context.ts';
import { openEventStream } from '../http/event-stream.ts';
import { EventStreamCaps } from '../http/event-stream-caps.ts';
import { bearerToken, readJson } from '../http/read-json.ts';
import type { WithSignins } from './signin-deps.ts';
import { startSession } from '../session/browser-session.ts';
import { rememberBrowser } from './familiar-cookie.ts';
import { PushPausedError, pushBlockedResponse } from './push-blocked.ts';

const KEEPALIVE_MS = 15_000;

/** docs/protocol.md section 5: the browser side of a sign-in request. */
export function signinRoutes(deps: WithSignins) {
  const requireToken = (token: string | undefined): string => {
    if (!token) throw new ApiError(401, 'unauthorized', 'A browser token is required.');
    return token;
  };
  const streamCaps = new EventStreamCaps();

  return (
    new Hono()
      .post('/', async (c) => {
        const body = await readJson(c, CreateSigninBody);
        try {
          const created = await deps.signins.create({ ...body, context: clientContext(c, deps.config.trustProxy) });
          return c.json(created, 201);
        } catch (error) {
          if (error instanceof PushPausedError) return pushBlockedResponse(c, error);
          throw error;
        }
      })
      .get('/:id', async (c) => c.json(await deps.signins.status(c.req.param('id'), requireToken(bearerToken(c)))))
      .get('/:id/events', async (c) => {
        const requestId = c.req.param('id');
        const token = requireToken(bearerToken(c) ?? c.req.query('token'));
        const context = clientContext(c, deps.config.trustProxy);
        const familiar = await deps.signins.familiar.resolve(context.familiar, context.clientKey);
        // Subscribe before reading, so a change between the read and the stream is not missed;
        // what arrives early is held until the stream is open.
        const early: SigninStatusResponse[] = [];
        let deliver: (status: SigninStatusResponse) => void = (status) => void early.push(status);
        const unsubscribe = deps.fanout.subscribeStatus(requestId, (status) => deliver(status));
        let current;
        try {
          current = await deps.signins.status(requestId, token);
        } catch (error) {
          unsubscribe();
          throw error;
        }
        // Counted only for the token's holder: a stranger learns nothing and takes no place. Per
        // client too (a familiar browser is its cookie), so one client cannot take every stream.
        const place = streamCaps.take(requestId, familiar?.clientKey ?? context.clientKey, familiar !== undefined);
        if (typeof place !== 'function') {
          unsubscribe();
          throw place;
        }
        const { stream, response } = openEventStream(c);
        const keepalive = setInterval(() => stream.comment('keepalive'), KEEPALIVE_MS);
        stream.onClose(() => {
          clearInterval(keepalive);
          unsubscribe();
          place();
        });
        const write = (status: SigninStatusResponse) => {
          const event = { event: 'status', data: JSON.stringify(status) };
          // A settled request changes no more: the browser has its answer.
          if (status.status === 'pending') stream.send(event.event, event.data);
          else stream.end(event);
        };
        write(current);
        for (const status of early) write(status);
        deliver = write;
        return response;
      })
      // The page withdraws its own request when the person leaves it (any link, or closing the tab).
      .post('/:id/cancel', async (c) => c.json(await deps.signins.cancel(c.req.param('id'), requireToken(bearerToken(c)))))
      .post('/:id/complete', async (c) => {
        const session = await deps.signins.complete(c.req.param('id'), requireToken(bearerToken(c)));
        await startSession(c, deps.store, deps.clock, deps.relayOrigin(), session.userId, session.amr);
        await rememberBrowser(c, deps.signins, deps.relayOrigin(), session.userId);
        return c.json({ session: { upn: session.upn, displayName: session.displayName, amr: session.amr } });
      })
  );
}
