// "/" anywhere but in a field puts the cursor in the top bar's search box, as on most sites.
// Without JavaScript the box is one click away; on a phone the icon opens the search page.
document.addEventListener('keydown', (event) => {
  if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
  const box = document.getElementById('site-search');
  if (!box || box.offsetParent === null) return;
  event.preventDefault();
  box.focus();
  box.select();
});
