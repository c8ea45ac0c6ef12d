// @ts-check
// Every page: a form with data-confirm="Question?" and data-confirm-action="Label" asks first, in a
// native <dialog> ("Label" / "Cancel", focus on Cancel, Esc cancels). Confirming submits the form
// itself, CSRF field and all. Without this script the form simply posts.
/** @type {HTMLDialogElement | undefined} */
let dialog;
/** @type {HTMLFormElement | undefined} */
let pending;

/** The one dialog of the page, made on first use. */
function confirmDialog() {
  if (dialog) return dialog;
  dialog = document.createElement('dialog');
  dialog.className = 'confirm-dialog';
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-labelledby', 'confirm-text');
  dialog.dataset.testid = 'confirm-dialog';
  const text = document.createElement('p');
  text.id = 'confirm-text';
  const choices = document.createElement('form');
  choices.method = 'dialog';
  choices.className = 'actions';
  const cancel = button('Cancel', 'cancel', 'button secondary');
  const action = button('', 'confirm', 'button danger-solid');
  choices.append(cancel, action);
  dialog.append(text, choices);
  dialog.addEventListener('close', () => {
    const form = pending;
    pending = undefined;
    // Esc closes with an empty returnValue: only the action button confirms.
    if (form && dialog?.returnValue === 'confirm') HTMLFormElement.prototype.submit.call(form);
  });
  document.body.append(dialog);
  return dialog;
}

/**
 * @param {string} label
 * @param {string} value
 * @param {string} className
 */
function button(label, value, className) {
  const element = document.createElement('button');
  element.type = 'submit';
  element.value = value;
  element.className = className;
  element.textContent = label;
  return element;
}

/** @param {HTMLFormElement} form */
function ask(form) {
  const box = confirmDialog();
  const text = /** @type {HTMLElement} */ (box.querySelector('#confirm-text'));
  const action = /** @type {HTMLButtonElement} */ (box.querySelector('button[value="confirm"]'));
  const cancel = /** @type {HTMLButtonElement} */ (box.querySelector('button[value="cancel"]'));
  text.textContent = form.dataset.confirm ?? '';
  action.textContent = form.dataset.confirmAction || 'Continue';
  pending = form;
  box.returnValue = '';
  box.showModal();
  cancel.focus();
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.confirm === undefined) return;
  event.preventDefault();
  ask(form);
});
