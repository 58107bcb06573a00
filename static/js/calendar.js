/*
 * The calendar's drag and drop: drop a task on another day and this posts the task's
 * reschedule form (the same one its "Move" link opens, which is the way without JavaScript
 * or a mouse), then reloads the calendar to show the result and its message.
 *
 * Markup it reads (templates/tasks/calendar.html):
 *   #calendar-moves                    a hidden form holding the CSRF token
 *   td[data-date]                      a day (YYYY-MM-DD)
 *   [data-reschedule][data-version]    a task an editor may move: its reschedule URL, version
 *   #calendar-status                   a live region announcing the move
 */
(function () {
  "use strict";

  var dragged = null;

  function dayOf(node) {
    return node && node.closest ? node.closest("td[data-date]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-reschedule]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-reschedule"));
  });

  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".is-drop-target").forEach(function (cell) {
      cell.classList.remove("is-drop-target");
    });
  });

  document.addEventListener("dragover", function (event) {
    var day = dayOf(event.target);
    if (!dragged || !day) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    day.classList.add("is-drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    var day = dayOf(event.target);
    if (day && !day.contains(event.relatedTarget)) day.classList.remove("is-drop-target");
  });

  document.addEventListener("drop", function (event) {
    var day = dayOf(event.target);
    var form = document.getElementById("calendar-moves");
    if (!dragged || !day || !form) return;
    event.preventDefault();
    if (dayOf(dragged) === day) return;
    var data = new FormData(form);
    data.set("due_date", day.getAttribute("data-date"));
    data.set("version", dragged.getAttribute("data-version"));
    data.set("next", window.location.pathname + window.location.search);
    var status = document.getElementById("calendar-status");
    if (status) status.textContent = "Moving…";
    fetch(dragged.getAttribute("data-reschedule"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      // Not followed: the reload below is what shows the calendar and its message once.
      redirect: "manual",
    }).then(function () {
      window.location.reload();
    });
  });
})();
