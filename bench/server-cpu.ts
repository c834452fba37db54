import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (µs) of the server processes serving `database`, read from /proc (Linux). */
export function serverCpuUs(database: string): number {
  const tick = 1_000_000 / 100; // USER_HZ is 100 on Linux
  let total = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // A backend's title is "postgres: <user> <database> <client> <state>".
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (!title.startsWith('postgres: ') || !title.includes(` ${database} `)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // The process ended while being read.
    }
  }
  return total;
}

function statFields(pid: string): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
}

/**
 * CPU time (µs) of the whole cluster serving `database`: the postmaster, its live children and
 * every child that has ended (the postmaster's waited-for children time), so a connection that
 * closed between two readings still counts. Includes other databases of the cluster.
 */
export function clusterCpuUs(database: string): number {
  const tick = 1_000_000 / 100; // USER_HZ is 100 on Linux
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  let postmaster: string | undefined;
  for (const pid of pids) {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `)) {
        postmaster = statFields(pid)[1];
        break;
      }
    } catch {
      // The process ended while being read.
    }
  }
  if (postmaster === undefined) return 0;
  // Fields after the command: state ppid … utime(11) stime(12) cutime(13) cstime(14).
  const own = statFields(postmaster);
  let total = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of pids) {
    try {
      const fields = statFields(pid);
      if (fields[1] === postmaster) total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while being read.
    }
  }
  return total * tick;
}
