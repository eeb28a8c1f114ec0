// Ask before destructive actions: any form with data-confirm.
// (A file, not inline script: the Content-Security-Policy forbids inline code.)
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
