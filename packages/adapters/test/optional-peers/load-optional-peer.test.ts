import { describe, expect, it } from 'vitest';
import { isPackageNotFound, loadOptionalPeer } from '../../src/optional-peers/load-optional-peer.ts';

const peer = { name: 'hostkit-no-such-package', range: '^1.2.3', entryPoint: '@hostkit/adapters/example' };
// A variable, so that the type checker does not look for the package.
const missing: string = peer.name;

describe('loadOptionalPeer', () => {
  it('returns the module when the peer is installed', async () => {
    const module = await loadOptionalPeer(() => import('chokidar'), { ...peer, name: 'chokidar' });

    expect(typeof module.watch).toBe('function');
  });

  it('names the package, the entry point and the install commands when the peer is not installed', async () => {
    const failure = loadOptionalPeer(() => import(missing), peer);

    await expect(failure).rejects.toThrow(
      "@hostkit/adapters/example needs the package 'hostkit-no-such-package', which is not installed: " +
        "run 'npm install hostkit-no-such-package@^1.2.3' (Deno: 'deno add npm:hostkit-no-such-package@^1.2.3')",
    );
    const error: unknown = await failure.catch((caught: unknown) => caught);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('rethrows the error as it is when the peer fails for another reason', async () => {
    const broken = new SyntaxError('Unexpected token in hostkit-no-such-package');

    await expect(loadOptionalPeer(() => Promise.reject(broken), peer)).rejects.toBe(broken);
  });

  it('rethrows the error as it is when a dependency of the peer is missing', async () => {
    const error = Object.assign(new Error("Cannot find package '@redis/client' imported from /app/node_modules/redis/dist/index.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

    await expect(loadOptionalPeer(() => Promise.reject(error), { ...peer, name: 'redis' })).rejects.toBe(error);
  });
});

describe('isPackageNotFound', () => {
  it("recognises Node's error when the package is missing", () => {
    const error = Object.assign(new Error("Cannot find package 'redis' imported from /app/node_modules/@hostkit/adapters/dist/x.js"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });

    expect(isPackageNotFound(error, 'redis')).toBe(true);
  });

  it('does not take a package whose name only starts with the peer for the peer', () => {
    const error = Object.assign(new Error("Cannot find package 'redis-extra' imported from /app/x.js"), { code: 'ERR_MODULE_NOT_FOUND' });

    expect(isPackageNotFound(error, 'redis')).toBe(false);
  });

  it('returns false when the value is not an error', () => {
    expect(isPackageNotFound("Cannot find package 'redis'", 'redis')).toBe(false);
  });
});
