// Strongroom portal: small enhancements only. Every page works without this file.
//  - Focus moves to the error summary when a form comes back with errors.
//  - Before the idle limit a dialog offers "Stay signed in"; the button renews the session in the background (the
//    same form without JavaScript reloads the page), so answers typed on the page are kept. When the limit passes
//    the page stays: what was typed is carried through the sign-in when it is sent.
//  - While a rewrap (key page) or a verification of the log (audit page) runs, the page refreshes its progress region
//    (the element with `data-refresh`) every few seconds (without JavaScript the "Update progress" link reloads the
//    page). Only that region's content changes; focus stays where it is.
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

(function () {
  "use strict";

  var region = document.querySelector("[data-refresh]");
  var url = region && region.getAttribute("data-refresh");
  var link = document.querySelector("a[data-finished-text]");
  if (!url || !window.fetch) { return; }

  function poll() {
    // A redirect (the session ended) or an error page stops the refresh: the link still reloads the whole page.
    fetch(url, { credentials: "same-origin", redirect: "manual", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("no progress"); }
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        var state = region.querySelector("[data-running]");
        var running = !!state && state.getAttribute("data-running") === "true";
        // aria-busy keeps screen readers from reading every step; the final report is announced once.
        region.setAttribute("aria-busy", running ? "true" : "false");
        if (running) {
          setTimeout(poll, 2000);
        } else if (link) {
          // The link now shows the whole page as it is after the run (its text changes; focus stays on it).
          link.textContent = link.getAttribute("data-finished-text");
        }
      })
      .catch(function () { region.setAttribute("aria-busy", "false"); });
  }
  setTimeout(poll, 1000);
})();
