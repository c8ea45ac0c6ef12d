/**
 * The approval window's last step after an outcome: it closes, unless a request is waiting. One
 * may have arrived this very moment, its change not yet seen by the window, with the background
 * about to show it there; closing then would take it out of view. Unreachable background: close.
 */
export async function closeUnlessWaiting(approvalWindow: {
  waitingRequests(): Promise<number>;
  close(): void;
  showWaiting(): void;
}): Promise<void> {
  let waiting = 0;
  try {
    waiting = await approvalWindow.waitingRequests();
  } catch {
    // Nothing could be shown here either.
  }
  if (waiting === 0) approvalWindow.close();
  else approvalWindow.showWaiting();
}
