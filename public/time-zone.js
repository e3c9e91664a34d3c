// Progressive enhancement for the time-zone picker: a zone never chosen (still the UTC default)
// becomes the browser's own, which is right for almost everyone. Without JavaScript the list works as is.
const select = document.querySelector('select[data-browser-zone]');
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
if (select && browserZone && select.querySelector(`option[value="${CSS.escape(browserZone)}"]`)) select.value = browserZone;
