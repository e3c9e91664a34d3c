// Progressive enhancement for the import page: read a chosen CSV file into the textarea, so the
// form still posts plain text (and the page works without JavaScript by pasting).
const field = document.getElementById('csv-file-field');
const input = document.getElementById('csv-file');
const textarea = document.getElementById('field-csv');
if (field && input && textarea) {
  field.hidden = false;
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (file) textarea.value = await file.text();
  });
}
