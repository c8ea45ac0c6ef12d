import { outcomeTitle } from '../../components/outcome-view.tsx';
import { formatDateTime } from '../../../protocol/display-time.ts';
import { noticeAdvice, noticeText } from '../../lib/notice-text.ts';
import type { ActivityItem } from '../../lib/runtime-messages.ts';

/** Someone else trying the PIN, or a lock: the newest such notice also says what to do. */
const isAlarming = (item: ActivityItem) =>
  item.type === 'notice' && ((item.entry.kind === 'pin_failure' && !item.entry.own) || item.entry.kind === 'pin_locked');

export function RecentActivity({ activity }: { activity: ActivityItem[] }) {
  const advised = activity.findIndex(isAlarming);
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Recent activity</h2>
      <ul class="list card" data-testid="activity">
        {activity.map((item, index) =>
          item.type === 'notice' ? (
            <li key={`n:${item.entry.id}`} data-testid="activity-notice" data-kind={item.entry.kind}>
              <div>{noticeText(item.entry)}</div>
              {index === advised && (
                <div class="alert" data-testid="notice-advice">
                  {noticeAdvice(item.entry)}
                </div>
              )}
              <div class="muted" data-testid="activity-time">
                {formatDateTime(item.entry.at)}
              </div>
            </li>
          ) : (
            <li key={`s:${item.entry.requestId}`} data-testid="activity-signin" data-outcome={item.entry.outcome}>
              <div>
                {outcomeTitle(item.entry.outcome)} · {item.entry.appName ?? 'Sign-in'} · {item.entry.upn}
              </div>
              <div class="muted" data-testid="activity-time">
                {formatDateTime(item.entry.at)}
              </div>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
