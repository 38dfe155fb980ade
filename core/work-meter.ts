/**
 * A count of the work a pure algorithm did (characters scanned, items visited), passed in by the
 * caller, so tests and benchmarks can prove linear behaviour by counting work, never by timing.
 */
export interface WorkMeter {
  steps: number;
}
