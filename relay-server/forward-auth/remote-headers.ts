/** What a protected app learns about the person (docs/protocol.md section 10). */
export interface RemoteIdentity {
  upn: string;
  displayName: string;
  email: string;
  groups: readonly string[];
}

/**
 * A header value the proxy can pass on unchanged: printable ASCII (space to `~`) stays, every
 * other character (controls, anything beyond ASCII) is percent-encoded as UTF-8, so "Zoë Ødegård"
 * becomes `Zo%C3%AB %C3%98deg%C3%A5rd` instead of a value Node refuses to send.
 *
 * @example remoteHeaderValue('Zoë') === 'Zo%C3%AB'
 */
export function remoteHeaderValue(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e) out += char;
    else
      out += Array.from(Buffer.from(char, 'utf8'))
        .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
  }
  return out;
}

/** All four `Remote-*` headers, always present (empty when unknown). */
export function remoteHeaders(identity: RemoteIdentity): Record<string, string> {
  return {
    'Remote-User': remoteHeaderValue(identity.upn),
    'Remote-Name': remoteHeaderValue(identity.displayName),
    'Remote-Email': remoteHeaderValue(identity.email),
    'Remote-Groups': identity.groups.map(remoteHeaderValue).join(','),
  };
}
