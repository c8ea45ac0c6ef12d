// @ts-check
// Admin pages: keep the "chance of a lucky guess" beside the number-matching choice up to date, and
// give the new Temporary Access Pass a Copy button (hidden without this script, which it needs).

// Read as `unknown` and named by a cast: the page wrote each mode and digit count's sentence,
// keyed "type:4" (admin/pages/policy-views.tsx).
/** @param {string} text @returns {unknown} */
const parseJson = (text) => JSON.parse(text);
/** @param {string} text */
const readChances = (text) => /** @type {Record<string, string>} */ (parseJson(text));

function luckyGuess() {
  const mode = /** @type {HTMLSelectElement | null} */ (document.getElementById('match-mode'));
  const digits = /** @type {HTMLInputElement | null} */ (document.getElementById('match-digits'));
  const chance = document.getElementById('lucky-guess');
  if (!mode || !digits || !chance) return;
  const chances = readChances(chance.dataset.chances ?? '{}');
  const update = () => {
    const key = `${mode.value === 'choose' ? 'choose' : 'type'}:${Number(digits.value)}`;
    chance.textContent = Object.hasOwn(chances, key) ? (chances[key] ?? '') : '';
  };
  mode.addEventListener('change', update);
  digits.addEventListener('input', update);
  update();
}

function copyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    if (!(button instanceof HTMLButtonElement)) continue;
    const source = document.getElementById(button.dataset.copy ?? '');
    const status = document.getElementById(button.dataset.copyStatus ?? '');
    if (!source || !status || !navigator.clipboard) continue;
    button.hidden = false;
    button.addEventListener('click', () => {
      navigator.clipboard.writeText((source.textContent ?? '').trim()).then(
        () => {
          status.textContent = 'Copied';
        },
        () => {
          status.textContent = "Couldn't copy. Select the pass and copy it by hand.";
        },
      );
    });
  }
}

luckyGuess();
copyButtons();
