// Loaded synchronously in <head> so the chosen theme (and the js class) apply before the first
// paint.
// "light" or "dark" saved by the toggle in app.js; nothing saved means "follow the system".
(function () {
  // Tells the stylesheet that scripts run: html:not(.js) rules serve the no-JavaScript case.
  // The "scripting" media query is not enough: older browsers do not know it, and it reports
  // "enabled" when scripting is on but the scripts never arrive (blocked, failed to load).
  document.documentElement.classList.add("js");
  try {
    var saved = localStorage.getItem("taskdesk-theme");
    if (saved === "light" || saved === "dark") {
      document.documentElement.setAttribute("data-theme", saved);
    }
  } catch (e) {
    // Storage may be blocked (private mode); the system preference still applies.
  }
})();
