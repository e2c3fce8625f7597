// OIDC login inside an LMS frame. The state cookie this page set must come back with the
// launch; if the browser blocks third-party cookies it will not, so check first and, when
// blocked, offer the new-window link (first-party there). Without JavaScript the link shows.
(function () {
  "use strict";
  var box = document.getElementById("lti-login");
  if (!box) return;
  var blocked = document.getElementById("lti-login-blocked");
  var wait = document.getElementById("lti-login-wait");
  blocked.hidden = true;
  var secure = location.protocol === "https:" ? "; Secure; SameSite=None" : "";
  document.cookie = "lti1p3-cookie-check=1; path=/" + secure;
  var ok = navigator.cookieEnabled && document.cookie.indexOf("lti1p3-cookie-check=1") !== -1;
  if (ok) {
    document.cookie = "lti1p3-cookie-check=; Max-Age=0; path=/" + secure;
    window.location.href = box.dataset.authUrl;
  } else {
    wait.hidden = true;
    blocked.hidden = false;
  }
})();
