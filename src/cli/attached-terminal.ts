// The width of the terminal this process runs in when its output goes elsewhere (`show --data | less`): shells do
// not export COLUMNS, so it is asked of the controlling terminal, /dev/tty, where there is one.
import { closeSync, openSync } from 'node:fs';
import { isatty, WriteStream } from 'node:tty';

export function controllingTerminalColumns(): number | undefined {
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'w');
  } catch {
    return undefined; // no controlling terminal (a service, CI, a cron job) or no /dev/tty (Windows)
  }
  if (!isatty(fd)) {
    closeSync(fd);
    return undefined;
  }
  // The stream owns the descriptor from here on: destroying it closes it.
  const tty = new WriteStream(fd);
  const { columns } = tty;
  tty.destroy();
  return columns;
}
