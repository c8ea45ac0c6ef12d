// @ts-check
// Admin pages: keep the "chance of a lucky guess" beside the number-matching choice up to date, and
// give the new Temporary Access Pass a Copy button (hidden without this script, which it needs).
(() => {
  'use strict';

  function luckyGuess() {
    const mode = /** @type {HTMLSelectElement | null} */ (document.getElementById('match-mode'));
    const digits = /** @type {HTMLInputElement | null} */ (document.getElementById('match-digits'));
    const chance = document.getElementById('lucky-guess');
    if (!mode || !digits || !chance) return;
    const update = () => {
      const n = Number(digits.value);
      if (!Number.isInteger(n) || n < 2 || n > 6) {
        chance.textContent = '';
        return;
      }
      const oneIn = mode.value === 'choose' ? 3 : 10 ** n;
      chance.textContent = `Chance of a lucky guess: 1 in ${oneIn.toLocaleString('en-US')}`;
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
})();
