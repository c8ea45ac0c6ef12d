// @ts-check
// Every page: each <time data-local-time datetime="…"> the relay wrote in British English and UTC
// is rewritten in this browser's locale and time zone, with the zone named, in the format of
// protocol/display-time.ts, whose options the page carries on <html data-time-format>. Without
// this script the UTC text stays, which is still right.
// Read as `unknown` and named by a cast: the page wrote protocol/display-time.ts's options.
/** @param {string} text @returns {unknown} */
const parseJson = (text) => JSON.parse(text);
/** @param {string} text */
const readOptions = (text) => /** @type {Intl.DateTimeFormatOptions} */ (parseJson(text));

/** @returns {Intl.DateTimeFormat | null} */
function formatter() {
  try {
    return new Intl.DateTimeFormat(undefined, readOptions(document.documentElement.dataset.timeFormat ?? ''));
  } catch {
    return null;
  }
}

function localize() {
  const format = formatter();
  if (!format) return;
  for (const element of document.querySelectorAll('time[data-local-time]')) {
    const at = Date.parse(element.getAttribute('datetime') ?? '');
    if (Number.isNaN(at)) continue;
    const text = format.format(at);
    if (element.hasAttribute('data-local-title')) element.setAttribute('title', text);
    else element.textContent = text;
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', localize);
else localize();
