// Strongroom portal: small enhancements only. Every page works without this file.
//  - Focus moves to the error summary when a form comes back with errors.
//  - Before the idle limit a dialog offers "Stay signed in"; the button renews the session in the background (the
//    same form without JavaScript reloads the page), so answers typed on the page are kept. When the limit passes
//    the page stays: what was typed is carried through the sign-in when it is sent.
(function () {
  "use strict";

  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  var bar = document.querySelector(".session-bar");
  var dialog = document.getElementById("session-warning");
  if (!bar || !dialog) { return; }
  var warnAfter = parseInt(bar.getAttribute("data-warn-after"), 10) * 1000;
  var expireAfter = parseInt(bar.getAttribute("data-expire-after"), 10) * 1000;
  if (!(warnAfter >= 0) || !(expireAfter > 0)) { return; }
  // An idle limit shorter than the warning period (data-warn-after is 0) warns halfway through it, again after each
  // "Stay signed in": at once would put a modal dialog over every page as it opens.
  if (warnAfter === 0) { warnAfter = Math.floor(expireAfter / 2); }
  var rewarnAfter = warnAfter;
  var lastFocus = null;
  var warnTimer = null;
  var expireTimer = null;

  function schedule(after) {
    clearTimeout(warnTimer);
    clearTimeout(expireTimer);
    warnTimer = setTimeout(show, after);
    // At the end the page stays as it is, with what was typed on it: sending it leads to the sign-in page, which
    // carries the answers through (leaving for the sign-in page now would lose them).
    expireTimer = setTimeout(hide, expireAfter);
  }

  function show() {
    lastFocus = document.activeElement;
    dialog.hidden = false;
    var button = dialog.querySelector("button");
    if (button) { button.focus(); }
  }

  function hide() {
    dialog.hidden = true;
    if (lastFocus && lastFocus.focus) { lastFocus.focus(); }
  }

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Tab") {
      // One control in the dialog: keep focus on it while it is open.
      event.preventDefault();
      var button = dialog.querySelector("button");
      if (button) { button.focus(); }
    }
  });

  function renew(form, event) {
    if (!window.fetch || !window.FormData || !window.URLSearchParams) { return; }
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" } })
      .then(function () { hide(); schedule(rewarnAfter); })
      .catch(function () { form.submit(); });
  }

  var forms = document.querySelectorAll("form[action='/session/extend']");
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener("submit", function (event) { renew(event.currentTarget, event); });
  }
  schedule(warnAfter);
})();
