// Opens a portal link: submits the page's form (a POST spends the link), so
// a link scanner that only fetches the GET never uses it up.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("portal-open");
  if (form) {
    form.submit();
  }
});
