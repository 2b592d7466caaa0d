// mailtrace: small progressive enhancements of the page. The page works
// without this script: the form posts the textarea and the file input.
(function () {
  'use strict';
  var form = document.getElementById('trace-form');
  if (!form) {
    return;
  }
  var text = document.getElementById('headers');
  var file = document.getElementById('file');
  var label = document.getElementById('file-label');

  function submit() {
    if (form.requestSubmit) {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  var maxBytes = parseInt(form.getAttribute('data-max-bytes'), 10) || 0;

  // A chosen or dropped file is traced at once, unless it is over the limit
  // (the server would refuse it with 413).
  file.addEventListener('change', function () {
    if (file.files && file.files.length > 0) {
      var f = file.files[0];
      if (maxBytes > 0 && f.size > maxBytes) {
        label.textContent = f.name + ' is too large: the limit is ' + form.getAttribute('data-max') + '. Paste only the headers.';
        label.classList.add('too-large');
        file.value = '';
        return;
      }
      label.classList.remove('too-large');
      label.textContent = f.name;
      submit();
    } else {
      label.textContent = label.getAttribute('data-empty');
    }
  });

  // Dropping a file anywhere on the form hands it to the file input.
  function over(e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') >= 0) {
      e.preventDefault();
      form.classList.add('dragging');
    }
  }
  form.addEventListener('dragenter', over);
  form.addEventListener('dragover', over);
  form.addEventListener('dragleave', function (e) {
    if (!form.contains(e.relatedTarget)) {
      form.classList.remove('dragging');
    }
  });
  form.addEventListener('drop', function (e) {
    form.classList.remove('dragging');
    if (!e.dataTransfer || e.dataTransfer.files.length === 0) {
      return; // dropped text goes into the textarea as usual
    }
    e.preventDefault();
    file.files = e.dataTransfer.files;
    file.dispatchEvent(new Event('change'));
  });

  // Ctrl+Enter (Cmd+Enter) in the textarea traces.
  text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    }
  });

  // Show that the trace is running (registry lookups can take seconds).
  form.addEventListener('submit', function () {
    var btn = document.getElementById('trace-btn');
    btn.classList.add('busy');
    btn.textContent = 'Tracing…';
  });
})();
