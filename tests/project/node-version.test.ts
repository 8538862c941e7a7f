import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// scripts/test.sh runs the core workflow tests a second time under the Node of scripts/node22.sh
// with TEST_NODE_MAJOR=22: this proves that run, and the workers and CLI processes its tests spawn
// (process.execPath, or `node` on PATH), really were that Node.
const expectedMajor = process.env.TEST_NODE_MAJOR;

const versionOf = (node: string): string => execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();

describe('the Node the tests run on', () => {
  it('spawns its child processes on the same Node as the test itself', () => {
    expect(versionOf(process.execPath)).toBe(process.versions.node);
  });

  it.runIf(expectedMajor)('is the major version scripts/test.sh asked for (TEST_NODE_MAJOR)', () => {
    expect(process.versions.node.split('.')[0]).toBe(expectedMajor);
    // Whatever a test starts by name, `node` included, comes from PATH.
    expect(versionOf('node').split('.')[0]).toBe(expectedMajor);
  });
});
