// Admin pages: keep the "chance of a lucky guess" beside the number-matching choice up to date.
(() => {
  'use strict';
  const mode = document.getElementById('match-mode');
  const digits = document.getElementById('match-digits');
  const chance = document.getElementById('lucky-guess');
  if (!mode || !digits || !chance) return;
  function update() {
    const n = Number(digits.value);
    if (!Number.isInteger(n) || n < 2 || n > 6) {
      chance.textContent = '';
      return;
    }
    const oneIn = mode.value === 'choose' ? 3 : 10 ** n;
    chance.textContent = `Chance of a lucky guess: 1 in ${oneIn.toLocaleString('en-US')}`;
  }
  mode.addEventListener('change', update);
  digits.addEventListener('input', update);
  update();
})();
