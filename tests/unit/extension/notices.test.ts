import { describe, expect, it } from 'vitest';
import { runNoticeChannels, type NoticeChannel } from '../../../extension/entrypoints/background/notices.ts';

describe('runNoticeChannels()', () => {
  it('opens the window even when the notification is refused, and reports the refusal', async () => {
    const failures: Array<[NoticeChannel, unknown]> = [];
    let windowOpened = false;
    await runNoticeChannels(
      {
        notification: () => Promise.reject(new Error('Unexpected property "requireInteraction"')),
        window: async () => {
          windowOpened = true;
        },
      },
      (channel, error) => failures.push([channel, error]),
    );
    expect(windowOpened).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]![0]).toBe('notification');
  });

  it('reports every channel that failed, not only the first', async () => {
    const failed: NoticeChannel[] = [];
    await runNoticeChannels(
      { notification: () => Promise.reject(new Error('refused')), window: () => Promise.reject(new Error('no window')) },
      (channel) => failed.push(channel),
    );
    expect(failed.sort()).toEqual(['notification', 'window']);
  });

  it('reports nothing when every channel worked', async () => {
    const failed: NoticeChannel[] = [];
    await runNoticeChannels({ notification: async () => undefined }, (channel) => failed.push(channel));
    expect(failed).toEqual([]);
  });
});
