/**
 * The approval window's last step after an outcome: it closes, unless a request is waiting. One
 * may have arrived this very moment, its change not yet seen by the window. The background
 * decides in the same turn as it opens windows (background/approval-window.ts): once it says
 * close, it shows the next request in a new window, never in this one. Unreachable background: close.
 */
export async function closeUnlessWaiting(approvalWindow: {
  mayClose(): Promise<boolean>;
  close(): void;
  showWaiting(): void;
}): Promise<void> {
  let close = true;
  try {
    close = await approvalWindow.mayClose();
  } catch {
    // Nothing could be shown here either.
  }
  if (close) approvalWindow.close();
  else approvalWindow.showWaiting();
}
