// The console's only script of its own (htmx does the rest). Kept small and free of inline
// handlers so that the Content-Security-Policy can forbid inline script.

function onCopy(event) {
  const button = event.target.closest('button.copy');
  if (!button) return;
  const status = button.parentElement.querySelector('.copied');
  const done = () => {
    if (status) status.textContent = button.dataset.copied || '✓';
  };
  if (navigator.clipboard) navigator.clipboard.writeText(button.dataset.copy).then(done, done);
}

// "Colour" confirmation shows the colour picker; "status" hides it.
function syncShownWhen(root) {
  for (const element of root.querySelectorAll('[data-shown-when]')) {
    const [name, value] = element.dataset.shownWhen.split('=');
    const form = element.closest('form');
    const checked = form?.querySelector(`input[name="${name}"]:checked`);
    element.hidden = !checked || checked.value !== value;
  }
}

document.addEventListener('click', onCopy);
document.addEventListener('change', (event) => {
  if (event.target.matches('input[type="radio"]')) syncShownWhen(event.target.closest('form') || document);
});
document.addEventListener('DOMContentLoaded', () => syncShownWhen(document));
// After a refused save, keyboard focus goes to the first field that needs fixing.
document.addEventListener('htmx:afterSwap', (event) => {
  syncShownWhen(event.detail.target);
  const invalid = event.detail.target.querySelector('[aria-invalid="true"]');
  if (invalid && event.detail.target.matches('section, form')) invalid.focus();
});
