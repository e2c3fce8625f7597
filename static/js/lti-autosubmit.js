// The deep-linking answer goes back to the LMS as a form post; without JavaScript the
// teacher presses the button.
(function () {
  "use strict";
  var form = document.getElementById("lti-autosubmit");
  if (form) form.submit();
})();
