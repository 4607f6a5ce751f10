import { cdrCommand } from './cdr';
import { keygen } from './keygen';
import { recordingGet } from './recording-get';
import { send } from './send';
import type { Subcommand } from './subcommand';
import { tailCommand } from './tail';

/** Every pbxctl subcommand, in the order `pbxctl --help` lists them. A new subcommand is one file plus one line here. */
export const SUBCOMMANDS: readonly Subcommand[] = [keygen, send, tailCommand, recordingGet, cdrCommand];
