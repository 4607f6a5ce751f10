/**
 * Exit codes of `pbxlink` (documented in docs/configuration.md): systemd and init scripts act on them.
 * 78 is EX_CONFIG from sysexits.h.
 */
export const EXIT = {
  /** Clean stop, or `check` found everything working. */
  ok: 0,
  /** Runtime failure: start failed, a crash, or a `check` connection FAILED. */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** Another pbxlink holds the lock on the state directory. */
  locked: 3,
  /** Invalid configuration (every problem printed, one per line). */
  config: 78,
} as const;
