/**
 * Internal: what `ServiceCollection.build()` can prove wrong before anything is resolved, from
 * the dependency lists. Resolver factories (`(sp) => ...`) hide their dependencies: what they
 * get wrong is caught at their first resolution instead.
 * @module
 */
import { CaptiveDependencyError } from './captive-dependency-error.ts';
import { CircularDependencyError } from './circular-dependency-error.ts';
import type { Service } from './service.ts';
import { ServiceNotFoundError, tokenHint } from './service-not-found-error.ts';
import { tokenName, type ServiceToken } from './token.ts';

/**
 * Checks every registration: dependencies that are not registered, cycles, and singletons that
 * reach a scoped service directly or through transients.
 * @param problems Found already (missing dependencies of adopted inversify bindings); reported
 *   with the rest.
 * @throws the one problem as is, or an AggregateError of all of them.
 */
export function validateServices(services: readonly Service[], problems: Error[] = []): void {
  for (const service of services) findMissing(service, services, problems);
  findCycles(services, problems);
  for (const service of services) {
    if (service.lifetime !== 'singleton' || !isOwned(service)) continue;
    const path = findScoped(service, [service], new Set());
    if (path !== undefined) {
      problems.push(new CaptiveDependencyError(service.name, path.map((entry) => entry.name)));
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) {
    throw new AggregateError(
      problems,
      `${problems.length} problems found while building the service provider:\n` +
        problems.map((problem) => `- ${problem.message}`).join('\n'),
    );
  }
}

function findMissing(service: Service, services: readonly Service[], problems: Error[]): void {
  const tokens = service.registration.dependencies;
  const dependencies = service.dependencies;
  if (tokens === undefined || dependencies === undefined) return;
  for (let i = 0; i < tokens.length; i++) {
    if (dependencies[i] === undefined) {
      const token = tokens[i] as ServiceToken<unknown>;
      const hint = tokenHint(token, services.map((registered) => registered.registration.token));
      problems.push(new ServiceNotFoundError(tokenName(token), service.name, { hint }));
    }
  }
}

/** Depth-first search; each back edge is one cycle, reported from its first service. */
function findCycles(services: readonly Service[], problems: Error[]): void {
  const done = new Set<Service>();
  const stack: Service[] = [];
  const onStack = new Set<Service>();
  const visit = (service: Service): void => {
    stack.push(service);
    onStack.add(service);
    for (const dependency of service.dependencies ?? []) {
      if (dependency === undefined || done.has(dependency)) continue;
      if (onStack.has(dependency)) {
        const cycle = stack.slice(stack.indexOf(dependency)).map((entry) => entry.name);
        cycle.push(dependency.name);
        problems.push(new CircularDependencyError(cycle));
      } else {
        visit(dependency);
      }
    }
    stack.pop();
    onStack.delete(service);
    done.add(service);
  };
  for (const service of services) if (!done.has(service)) visit(service);
}

/**
 * The path from a singleton to the first scoped service it reaches through transients, if any.
 * Other singletons on the way are not entered: each is checked on its own.
 */
function findScoped(service: Service, path: Service[], seen: Set<Service>): Service[] | undefined {
  for (const dependency of service.dependencies ?? []) {
    if (dependency === undefined || seen.has(dependency)) continue;
    seen.add(dependency);
    if (dependency.lifetime === 'scoped') return [...path, dependency];
    if (dependency.lifetime === 'transient' && isOwned(dependency)) {
      const found = findScoped(dependency, [...path, dependency], seen);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Whether hostkit creates the service, and so knows its dependencies and lifetime. */
function isOwned(service: Service): boolean {
  return service.source === 'factory' || service.source === 'inversify';
}
