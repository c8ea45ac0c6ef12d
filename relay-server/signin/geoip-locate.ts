import maxmind, { type CityResponse } from 'maxmind';
import type { LocateIp } from './locate-ip.ts';
import { isLocalAddress } from '../http/request-context.ts';

/**
 * Locates public addresses with a MaxMind-format database (GeoLite2-City or -Country, set by
 * GEOIP_DATABASE); local addresses are "Local network", unknown ones null.
 */
export async function openGeoipLocator(file: string): Promise<LocateIp> {
  const reader = await maxmind.open<CityResponse>(file);
  return (ip) => {
    if (isLocalAddress(ip)) return 'Local network';
    try {
      const found = reader.get(ip);
      const city = found?.city?.names?.en;
      const country = found?.country?.names?.en;
      return [city, country].filter(Boolean).join(', ') || null;
    } catch {
      return null;
    }
  };
}
