// Preloaded (`node --import`) into the servers `npm start` runs: when the process that started
// them is gone (killed with -9, so it could not stop them), they stop themselves as on SIGTERM
// instead of holding their ports with nobody left to end them.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
