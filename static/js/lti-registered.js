// LTI Dynamic Registration: tell the LMS (our opener or parent frame) that we are done.
(function () {
  "use strict";
  var target = window.opener || window.parent;
  if (target && target !== window) {
    target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
