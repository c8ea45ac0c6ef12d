import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const copy = readFileSync(resolve(root, 'docs', 'protocol.md'), 'utf8');
// The normative text lives beside the project on the team's machines; a user's clone has only the copy.
const normativePath = resolve(root, '..', 'shared', 'PROTOCOL.md');

describe('docs/protocol.md', () => {
  if (existsSync(normativePath)) {
    it('is an exact copy of the shared PROTOCOL.md', () => {
      expect(copy).toBe(readFileSync(normativePath, 'utf8'));
    });
  } else {
    it('is the wire protocol, version 1 (no shared PROTOCOL.md here to compare with)', () => {
      expect(copy.startsWith('# Countersign wire protocol, version 1')).toBe(true);
    });
  }
});
