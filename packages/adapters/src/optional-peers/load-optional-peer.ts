/** What {@link loadOptionalPeer} needs to say which package is missing and how to install it. */
export interface OptionalPeer {
  /** The npm package name, e.g. `'redis'`. */
  readonly name: string;
  /** The semver range this package supports, as its `peerDependencies` say, e.g. `'^6.3.1'`. */
  readonly range: string;
  /** The entry point that needs it, e.g. `'@hostkit/adapters/redis'`. */
  readonly entryPoint: string;
}

/**
 * Loads an optional peer dependency of one of the package's integrations.
 *
 * Why: `redis`, `undici` and `chokidar` are optional peer dependencies, so that a host that only
 * imports `@hostkit/adapters/node` does not install them. A static import of a missing package
 * fails while the module graph links, with a runtime error ("Cannot find package 'redis'") that
 * says nothing of which entry point wanted it or how to get it. The integration modules therefore
 * load their peer with this function in a top-level `await`: importing the entry point still fails
 * at once when the peer is missing, but with an error that names the package, the entry point and
 * the install commands for npm and Deno. Any other failure (a broken install, an error thrown while
 * the peer evaluates) is rethrown as it is.
 *
 * @param load Imports the peer; a literal `() => import('redis')`, so that bundlers and
 *   `deno publish` still see the dependency.
 * @param peer The package, its supported range and the entry point that needs it.
 * @returns The peer's module namespace.
 * @throws Error naming the package and how to install it, with the runtime's error as `cause`,
 *   when the peer is not installed.
 */
export async function loadOptionalPeer<T>(load: () => Promise<T>, peer: OptionalPeer): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isPackageNotFound(error, peer.name)) {
      throw new Error(
        `${peer.entryPoint} needs the package '${peer.name}', which is not installed: ` +
          `run 'npm install ${peer.name}@${peer.range}' (Deno: 'deno add npm:${peer.name}@${peer.range}')`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Whether `error` says that the package `name` itself could not be found: Node's
 * `ERR_MODULE_NOT_FOUND` ("Cannot find package 'redis' imported from ..."), or Deno's resolution
 * error, which has the same code. A missing dependency of the peer (`@redis/client` when `redis`
 * is there) names that package instead, and is not taken for the peer being absent.
 */
export function isPackageNotFound(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && !/not find|not found/i.test(error.message)) return false;
  return error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`);
}
