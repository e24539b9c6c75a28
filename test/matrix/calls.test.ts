/**
 * function-entry / function-return on every build that has them (3.9, 3.11,
 * 3.15), with the core tests' scenarios (helpers/call-scenarios.ts): exact
 * counts, nesting per thread, and where each fired. 3.9 pairs by itself, 3.11
 * needs the line semaphore pytrace raises, 3.15 needs pytrace to add the
 * return of a call that only creates a generator (see python315.test.ts for
 * its other quirks).
 */
import { BUILD_TIMEOUT_MS, ensureBuilds, traceCalls } from '../helpers/builds';
import { callScenarios } from '../helpers/call-scenarios';
import { killStarted } from '../helpers/python';

beforeAll(ensureBuilds, BUILD_TIMEOUT_MS);
afterEach(killStarted);

describe.each(['3.9', '3.11', '3.15'] as const)('Python %s', (version) => {
  callScenarios(version, (name, args) => traceCalls(version, name, args));
});
