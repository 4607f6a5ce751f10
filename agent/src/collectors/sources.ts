import type { DiskSources } from './disks';
import { DEFAULT_FOLDERS } from './disks';
import { createExec, type Exec } from './exec';
import type { FirewallSources } from './firewall';
import { CpuSampler } from './proc';
import type { SystemSources } from './system-resources';

/** The data sources of the host collectors, built once and shared by the collectors and the system.* commands. */
export interface CollectorSources {
  system: SystemSources;
  disks: DiskSources;
  firewall: FirewallSources;
}

/** Builds the production sources: /proc, `uptime`, fs.statfs/`df`, the folder walk, iptables in the sbin folders. */
export function createCollectorSources(opts: {
  /** Recordings root (PBXLINK_MONITOR_DIR), sized with the seed's folders. */
  monitorDir: string;
  exec?: Exec;
  procRoot?: string;
  folders?: readonly string[];
  folderMethod?: 'auto' | 'walk' | 'du';
  binDirs?: readonly string[];
}): CollectorSources {
  const exec = opts.exec ?? createExec();
  const procRoot = opts.procRoot ?? '/proc';
  return {
    system: { exec, procRoot, cpu: new CpuSampler({ procRoot }) },
    disks: {
      exec,
      procRoot,
      folders: opts.folders ?? [...DEFAULT_FOLDERS, opts.monitorDir],
      folderMethod: opts.folderMethod ?? 'auto',
    },
    firewall: opts.binDirs ? { exec, binDirs: opts.binDirs } : { exec },
  };
}
