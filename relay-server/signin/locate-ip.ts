import { isLocalAddress } from '../http/request-context.ts';

/** Turns an IP into the place a person would recognise, or null when unknown. */
export type LocateIp = (ip: string) => string | null;

/** Without a GeoIP database only local addresses have a known place. */
export const locateLocalOnly: LocateIp = (ip) => (isLocalAddress(ip) ? 'Local network' : null);
