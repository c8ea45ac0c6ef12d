import type { RelayDeps } from '../relay-deps.ts';
import type { SigninService } from './signin-service.ts';

/** The shared parts and the sign-in service, for the routes that start, finish or log sign-ins. */
export interface WithSignins extends RelayDeps {
  signins: SigninService;
}
