// Progressive enhancement for slow forms (an import): on submit, say that work is under way and
// stop a second click from sending it twice. The page that answers says when it is done.
for (const form of document.querySelectorAll('form[data-busy]')) {
  form.addEventListener('submit', (event) => {
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = 'true';
    const status = form.querySelector('[data-busy-status]');
    if (status) status.textContent = form.dataset.busy;
    for (const button of form.querySelectorAll('button[type=submit]')) button.setAttribute('aria-disabled', 'true');
  });
}
