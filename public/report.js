// Progressive enhancement for the printable report: a Print button, and the PDF fetched in the
// background so the page can say when it is being prepared and when it is done. Without
// JavaScript the link downloads the PDF as usual.
for (const button of document.querySelectorAll('[data-print]')) {
  button.hidden = false;
  button.addEventListener('click', () => window.print());
}

const fileNameOf = (response) => /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'account-history.pdf';

for (const link of document.querySelectorAll('[data-pdf-link]')) {
  link.addEventListener('click', async (event) => {
    const status = document.querySelector('[data-pdf-status]');
    if (!status || !window.fetch) return;
    event.preventDefault();
    if (link.getAttribute('aria-disabled') === 'true') return;
    link.setAttribute('aria-disabled', 'true');
    status.textContent = 'Preparing the PDF… this takes a few seconds.';
    try {
      const response = await fetch(link.href);
      if (!response.ok || !response.headers.get('content-type')?.startsWith('application/pdf')) throw new Error(String(response.status));
      const url = URL.createObjectURL(await response.blob());
      const save = Object.assign(document.createElement('a'), { href: url, download: fileNameOf(response) });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      status.textContent = 'Done: the PDF is in your downloads.';
    } catch {
      status.textContent = 'The PDF could not be prepared. Try again, or print from the browser.';
    } finally {
      link.removeAttribute('aria-disabled');
    }
  });
}
