/** The applications this relay signs people into; `?app=` on the sign-in page names one. */
export const KNOWN_APPS: Readonly<Record<string, string>> = {
  demo: 'Countersign Demo',
  payroll: 'Payroll',
  wiki: 'Team Wiki',
};

export function appName(appId: string): string | undefined {
  return Object.hasOwn(KNOWN_APPS, appId) ? KNOWN_APPS[appId] : undefined;
}
