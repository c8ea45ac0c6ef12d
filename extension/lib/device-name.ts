/**
 * A device name a person recognises on the security info page, such as "Chromium on Linux".
 * Pure, so it can be tested with any navigator shape.
 */
export interface NavigatorHints {
  userAgent: string;
  userAgentData?: { brands?: { brand: string }[]; platform?: string } | undefined;
}

const PREFERRED_BRANDS = ['Microsoft Edge', 'Opera', 'Brave', 'Vivaldi', 'Google Chrome', 'Chromium'];

export function deviceNameFrom(hints: NavigatorHints): string {
  return `${browserName(hints)} on ${platformName(hints)}`;
}

function browserName({ userAgent, userAgentData }: NavigatorHints): string {
  const brands = (userAgentData?.brands ?? []).map((entry) => entry.brand);
  const brand = PREFERRED_BRANDS.find((name) => brands.includes(name));
  if (brand) return brand === 'Google Chrome' ? 'Chrome' : brand === 'Microsoft Edge' ? 'Edge' : brand;
  // Without client hints, the same order as the relay's describeUserAgent, so both name a browser alike.
  if (/Edg\//.test(userAgent)) return 'Edge';
  if (/OPR\//.test(userAgent)) return 'Opera';
  if (/Firefox\//.test(userAgent)) return 'Firefox';
  if (/Chromium\//.test(userAgent)) return 'Chromium';
  if (/Chrome\//.test(userAgent)) return 'Chrome';
  if (/Safari\//.test(userAgent)) return 'Safari';
  return 'Browser';
}

function platformName({ userAgent, userAgentData }: NavigatorHints): string {
  const platform = userAgentData?.platform || userAgent;
  if (/Windows/i.test(platform)) return 'Windows';
  if (/Android/i.test(platform)) return 'Android';
  if (/CrOS|Chrome OS/i.test(platform)) return 'ChromeOS';
  if (/Mac/i.test(platform)) return 'macOS';
  if (/Linux|X11/i.test(platform)) return 'Linux';
  return 'this computer';
}
