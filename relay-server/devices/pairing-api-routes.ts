import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { RedeemPairingBody } from '../../protocol/messages.ts';
import { readJson } from '../http/read-json.ts';
import type { RelayDeps } from '../relay-deps.ts';
import { redeemPairing } from './redeem-pairing.ts';

/**
 * docs/protocol.md section 3: a device redeems a pairing offer (devices/redeem-pairing.ts). Open
 * to any origin (the extension's is chrome-extension://…) without credentials: the single-use
 * token is the only authority, so CORS adds no risk and spares the extension host permissions.
 */
export function pairingRoutes(deps: RelayDeps) {
  return new Hono()
    .use('/redeem', cors({ origin: '*', allowMethods: ['POST'], allowHeaders: ['content-type'], maxAge: 600 }))
    .post('/redeem', async (c) => {
      const body = await readJson(c, RedeemPairingBody);
      const { device, user, pinEvaluated } = await redeemPairing(deps, body);
      return c.json(
        {
          deviceId: device.id,
          account: { userId: user.id, upn: user.upn, displayName: user.display_name },
          relay: { origin: deps.relayOrigin(), name: deps.config.relayName },
          pinEvaluated,
        },
        201,
      );
    });
}
