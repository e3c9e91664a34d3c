// Progressive enhancement for the printable report: a Print button, and a note while the PDF is made.
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}
for (const link of document.querySelectorAll('[data-pdf-link]')) {
  link.addEventListener('click', () => {
    const status = document.querySelector('[data-pdf-status]');
    if (status) status.textContent = 'Preparing the PDF… it downloads in a few seconds.';
  });
}
