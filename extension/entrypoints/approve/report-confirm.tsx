import { useEffect, useRef } from 'preact/hooks';

/** Asked before "It wasn't me" acts: a mis-click would pause the person's own sign-ins. */
export const REPORT_QUESTION = 'Report this sign-in as suspicious? Requests to your account will be paused.';

/** The question "It wasn't me" asks once; its Report button takes the focus, so Enter confirms. */
export function ReportConfirm({
  busy,
  reporting,
  onReport,
  onCancel,
}: {
  busy: boolean;
  reporting: boolean;
  onReport(): void;
  onCancel(): void;
}) {
  const reportConfirm = useRef<HTMLButtonElement>(null);
  useEffect(() => reportConfirm.current?.focus(), []);
  return (
    <div class="card stack" role="alertdialog" aria-labelledby="report-question" data-testid="report-confirm-dialog">
      <p id="report-question" style="margin:0">
        <strong>{REPORT_QUESTION}</strong>
      </p>
      <div class="row">
        <button type="button" class="danger grow" data-testid="report-confirm" disabled={busy} ref={reportConfirm} onClick={onReport}>
          {reporting ? 'Reporting…' : 'Report'}
        </button>
        <button type="button" class="grow" data-testid="report-cancel" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
