/*
 * The board's glue: SortableJS drags the cards (mouse, pen, or a finger after a press and
 * hold), htmx posts each move and swaps in the board the server re-drew, and the keys below
 * work on the focused card. Without this file the board still works: each card's arrow
 * buttons submit the board's form, and its "Move…" link opens the move page.
 *
 * Markup it reads (templates/tasks/board.html):
 *   #board[data-board]           the board; data-moved="card-<id>" names the card just moved
 *   #board-moves                 the editors' form around the board (CSRF token, "show")
 *   [data-column]                one column's list of cards; the value is the status
 *   [data-card]                  a card
 *   button[data-move=left|up|down|right]  its move buttons (submit buttons of #board-moves)
 *   [data-move-link]             its move page, whose URL the moves are POSTed to
 *   #board-hint, #board-status   the keys explained; a live region announcing each move
 *
 * Keys on a focused card: arrows move it (they press its move buttons), Enter opens it,
 * "m" opens its move page; j / k focus the next / previous card anywhere on the page.
 * Each card is one Tab stop: the links and buttons inside it leave the Tab order.
 */
(function () {
  "use strict";

  var KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };
  var sortables = [];
  var busy = false;

  function board() {
    return document.getElementById("board");
  }

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("#board [data-card]"));
  }

  function isTyping(target) {
    return Boolean(
      target && target.closest && target.closest("input, textarea, select, [contenteditable]")
    );
  }

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  function cardTitle(card) {
    var link = card && card.querySelector(".board-card-title");
    return link ? link.textContent.trim() : "The task";
  }

  function columnLabel(status) {
    var heading = document.getElementById("column-" + status);
    // The heading starts with a status symbol, hidden from screen readers: drop it.
    return heading ? heading.textContent.replace(/^[^A-Za-z]+/, "").trim() : status;
  }

  /* A moved card is where the server says it is: announce that place. */
  function announcePlace(card) {
    var list = card.closest("[data-column]");
    var siblings = list ? Array.prototype.slice.call(list.querySelectorAll("[data-card]")) : [];
    announce(
      cardTitle(card) +
        " is now in " +
        columnLabel(list ? list.getAttribute("data-column") : "") +
        ", position " +
        (siblings.indexOf(card) + 1) +
        " of " +
        siblings.length +
        "."
    );
  }

  function setBusy(value) {
    busy = value;
    sortables.forEach(function (sortable) {
      sortable.option("disabled", value);
    });
  }

  /* POST a drop to the card's move URL; the form around the board adds its CSRF token. */
  function move(card, status, index) {
    var link = card.querySelector("[data-move-link]");
    if (!link || !window.htmx) return;
    window.htmx.ajax("POST", link.pathname, {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: { status: status, index: String(index) },
    });
  }

  /* After a failed move, the cards on screen may not be the saved ones: draw the board again. */
  function redraw() {
    if (!window.htmx || !board()) return;
    window.htmx.ajax("GET", window.location.href, {
      source: board(),
      target: "#board",
      swap: "outerHTML",
      select: "#board",
    });
  }

  function makeDraggable(root) {
    sortables.forEach(function (sortable) {
      sortable.destroy();
    });
    sortables = [];
    if (!window.Sortable || !document.getElementById("board-moves")) return;
    var still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    root.querySelectorAll("[data-column]").forEach(function (list) {
      sortables.push(
        window.Sortable.create(list, {
          group: "board",
          draggable: "[data-card]",
          // Pointer events for mouse, pen and touch alike (no native drag and drop); the
          // card's copy follows the pointer on <body>, so a column's scrolling box does not
          // clip it. A card is picked up anywhere, its move controls included: a press that
          // does not move (fallbackTolerance) stays a click on them.
          forceFallback: true,
          fallbackOnBody: true,
          fallbackTolerance: 4,
          // On a touch screen a card is picked up by a press and hold; a swipe scrolls.
          delay: 300,
          delayOnTouchOnly: true,
          touchStartThreshold: 6,
          // Near a column's or the board's edge the dragged card scrolls it.
          scroll: true,
          bubbleScroll: true,
          scrollSensitivity: 48,
          scrollSpeed: 14,
          // A card lands above the card under the pointer when the pointer is on that
          // card's upper half, below it on the lower half.
          invertSwap: true,
          invertedSwapThreshold: 1,
          emptyInsertThreshold: 24,
          animation: still ? 0 : 120,
          ghostClass: "is-drop-placeholder",
          fallbackClass: "drag-ghost",
          onStart: function () {
            document.documentElement.classList.add("is-dragging-card");
          },
          onEnd: function (event) {
            document.documentElement.classList.remove("is-dragging-card");
            if (event.from === event.to && event.oldDraggableIndex === event.newDraggableIndex) {
              return;
            }
            move(event.item, event.to.getAttribute("data-column"), event.newDraggableIndex);
          },
        })
      );
    });
  }

  /* One Tab stop per card; its inner links and buttons stay clickable and keyed from it. */
  function enhance(root) {
    var hint = document.getElementById("board-hint");
    root.querySelectorAll("[data-card]").forEach(function (card) {
      card.tabIndex = 0;
      if (hint) card.setAttribute("aria-describedby", "board-hint");
      card.querySelectorAll("a, button").forEach(function (control) {
        control.tabIndex = -1;
      });
    });
    makeDraggable(root);
  }

  function focusCard(card) {
    if (!card) return;
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  document.addEventListener(
    "keydown",
    function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (document.querySelector("dialog[open]") || !board()) return;
      var key = event.key;
      var card = event.target.closest && event.target.closest("[data-card]");
      // Captured before app.js sees them: on this page j / k walk the cards.
      if (key === "j" || key === "k") {
        event.preventDefault();
        var all = cards();
        var at = all.indexOf(card);
        var next = at === -1 ? (key === "j" ? 0 : all.length - 1) : at + (key === "j" ? 1 : -1);
        focusCard(all[Math.max(0, Math.min(all.length - 1, next))]);
        return;
      }
      if (!card || event.target !== card) return;
      if (key === "Enter") {
        event.preventDefault();
        card.querySelector(".board-card-title").click();
      } else if (key === "m" || key === "M") {
        var page = card.querySelector("[data-move-link]");
        if (page) {
          event.preventDefault();
          page.click();
        }
      } else if (KEYS[key] && document.getElementById("board-moves")) {
        event.preventDefault();
        if (busy) return;
        var button = card.querySelector('button[data-move="' + KEYS[key] + '"]');
        if (button) {
          button.click();
        } else {
          announce("“" + cardTitle(card) + "” cannot move further that way.");
        }
      }
    },
    true
  );

  /* One move at a time: while one is saved, cards neither drag nor move by key. */
  function fromBoard(elt) {
    return Boolean(elt && elt.closest && elt.closest("#board-moves"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (fromBoard(event.detail.elt)) setBusy(true);
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // htmx tells a card's (or a button's) ancestor still in the page when the swap took it.
    if (!fromBoard(event.detail.elt)) return;
    setBusy(false);
    if (event.detail.failed && event.detail.requestConfig.verb === "post") {
      // After htmx lets go of the form's request lock (hx-sync).
      window.setTimeout(redraw, 0);
    }
  });

  /* SortableJS animates the cards through their style properties, which leaves style
     attributes behind. htmx copies an old element's style attribute onto its new twin while
     settling, as an attribute write, which the Content-Security-Policy refuses: drop them. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var old = board();
    if (!old || event.detail.target !== old) return;
    old.querySelectorAll("[style]").forEach(function (el) {
      el.removeAttribute("style");
    });
  });

  /* A new board from the server: wire it up and give the moved card its focus back. */
  document.addEventListener("htmx:afterSwap", function () {
    var fresh = board();
    if (!fresh || fresh.hasAttribute("data-ready")) return;
    fresh.setAttribute("data-ready", "");
    enhance(fresh);
    var id = fresh.getAttribute("data-moved");
    var card = id && document.getElementById(id);
    if (card) {
      focusCard(card);
      announcePlace(card);
    }
  });

  function start() {
    var root = board();
    if (!root) return;
    root.setAttribute("data-ready", "");
    enhance(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
