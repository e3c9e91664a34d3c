// Progressive enhancement for the touchpoint form: choosing the kind picks the usual place (coffee
// and meals happen outside the office, calls on the phone), which saves a rep a tap. Once the rep
// picks a place themselves, it is theirs. Without JavaScript the form works the same, one tap longer.
const usualPlace = { coffee: 'outside_office', meal: 'outside_office', call: 'phone', email: 'virtual' };
const form = document.querySelector('form.touchpoint-form');
const placeFor = (kind) => usualPlace[kind] ?? 'customer_office';
if (form) {
  const checked = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value;
  // A form shown again after a failed save keeps the place the rep chose.
  let placeChosen = checked('location') !== placeFor(checked('kind'));
  form.addEventListener('change', (event) => {
    const input = event.target;
    if (input.name === 'location') placeChosen = true;
    if (input.name !== 'kind' || placeChosen) return;
    const place = form.querySelector(`input[name="location"][value="${placeFor(input.value)}"]`);
    if (place) place.checked = true;
  });
}

// The gap questions offer the new people typed above ("Met someone new?"), so the same person is
// not typed twice; the server treats the same name in one form as one person anyway.
const typedAbove = document.getElementById('people-typed-above');
if (form && typedAbove) {
  const newNames = () => [...form.querySelectorAll('input[name^="new_contacts["][name$="[name]"]')].map((input) => input.value.trim()).filter(Boolean);
  form.addEventListener('input', (event) => {
    if (!/^new_contacts\[.+\]\[name\]$/.test(event.target.name ?? '')) return;
    typedAbove.replaceChildren(...[...new Set(newNames())].map((name) => Object.assign(document.createElement('option'), { value: name })));
  });
}
