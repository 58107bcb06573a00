// Loaded synchronously in <head> so the chosen theme applies before the first paint.
// "light" or "dark" saved by the toggle in app.js; nothing saved means "follow the system".
(function () {
  try {
    var saved = localStorage.getItem("taskdesk-theme");
    if (saved === "light" || saved === "dark") {
      document.documentElement.setAttribute("data-theme", saved);
    }
  } catch (e) {
    // Storage may be blocked (private mode); the system preference still applies.
  }
})();
