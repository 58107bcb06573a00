/*
 * The board: drag a card within or across columns, or move it with the keyboard.
 * Without this file every card still has its ← ↑ ↓ → buttons and a "Move…" form (plain POST
 * forms), so the board works without JavaScript; this adds drag and drop and arrow keys.
 *
 * Markup it reads (templates/tasks/_board.html, _board_card.html):
 *   #board[data-board]            the board; data-moved="card-<id>" names the card just moved
 *   .board-cards[data-column]     one column's list of cards; the value is the status
 *   .board-card[data-move-url]    a card the user may move (POST status + index to the URL)
 *   button[data-move="left|up|down|right"]  the card's move buttons; value "<status>:<index>"
 *   #board-status                 a live region that announces each move
 *
 * A move is POSTed with the HX-Request header, so the server answers with the re-drawn board,
 * which replaces the old one (the order and status shown are always the saved ones).
 *
 * Touch screens and pens get no HTML5 drag and drop, so pointer events do the same there:
 * press and hold a card, then drag it; the same drop marker shows where it lands, and the
 * same POST moves it. A quick swipe still scrolls the page.
 */
(function () {
  "use strict";

  var dragged = null;
  var marker = null;
  var showParam = new URLSearchParams(window.location.search).get("show") || "";

  function board() {
    return document.getElementById("board");
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      var field = document.querySelector("input[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }
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

  /* After a move: put the server's board in place and give the moved card its focus back. */
  function replaceBoard(html, cardId) {
    var old = board();
    if (!old) return;
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var fresh = holder.querySelector("#board");
    if (!fresh) return;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    refocus(fresh, cardId);
  }

  function refocus(root, cardId) {
    var id = cardId || root.getAttribute("data-moved");
    var card = id && document.getElementById(id);
    if (card) {
      card.focus({ preventScroll: false });
      var list = card.closest("[data-column]");
      var cards = list ? Array.prototype.slice.call(list.children) : [];
      announce(
        cardTitle(card) +
          " is now in " +
          columnLabel(list ? list.getAttribute("data-column") : "") +
          ", position " +
          (cards.indexOf(card) + 1) +
          " of " +
          cards.length +
          "."
      );
    }
  }

  function move(card, status, index) {
    var body = new URLSearchParams();
    body.set("status", status);
    body.set("index", String(index));
    body.set("show", showParam);
    return fetch(card.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "HX-Request": "true",
        "X-CSRFToken": csrfToken(),
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: body.toString(),
    })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (text) {
            throw new Error(text || response.statusText);
          });
        }
        return response.text();
      })
      .then(function (html) {
        replaceBoard(html, card.id);
      })
      .catch(function (error) {
        announce("The card could not be moved: " + error.message + " Reload the page to see the board as saved.");
        window.alert("The card could not be moved. " + error.message);
        window.location.reload();
      });
  }

  /* Drag and drop: what the mouse and the touch paths share -------------------------------- */

  function clearMarker() {
    if (marker && marker.parentNode) marker.parentNode.removeChild(marker);
    marker = null;
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      el.classList.remove("is-drop-target");
    });
  }

  function cardAfter(list, y) {
    var cards = list.querySelectorAll(".board-card:not(.is-dragging)");
    for (var i = 0; i < cards.length; i++) {
      var box = cards[i].getBoundingClientRect();
      if (y < box.top + box.height / 2) return cards[i];
    }
    return null;
  }

  function startDrag(card) {
    dragged = card;
    marker = document.createElement("li");
    marker.className = "drop-marker";
    marker.setAttribute("aria-hidden", "true");
  }

  /* The column list under an element (a card, the list, or anywhere in its column). */
  function listAt(element) {
    if (!element || !element.closest) return null;
    var list = element.closest("[data-board] [data-column]");
    if (!list) {
      var column = element.closest("[data-board] .board-column");
      list = column && column.querySelector("[data-column]");
    }
    return list;
  }

  /* Show the drop marker in ``list`` where a card dropped at height ``y`` would land. */
  function placeMarker(list, y) {
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== list) el.classList.remove("is-drop-target");
    });
    list.classList.add("is-drop-target");
    var after = cardAfter(list, y);
    if (after) {
      if (marker.nextSibling !== after) list.insertBefore(marker, after);
    } else if (list.lastElementChild !== marker) {
      list.appendChild(marker);
    }
  }

  /* Put the dragged card where the marker is and save the move; false when there is no spot. */
  function dropDragged() {
    if (!dragged || !marker || !marker.parentNode) return false;
    var list = marker.parentNode;
    var siblings = Array.prototype.filter.call(list.children, function (el) {
      return el === marker || (el.classList.contains("board-card") && el !== dragged);
    });
    var index = siblings.indexOf(marker);
    var card = dragged;
    // Show the card where it was dropped at once; the server's board replaces it right after.
    list.insertBefore(card, marker);
    endDrag();
    move(card, list.getAttribute("data-column"), index);
    return true;
  }

  function endDrag() {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearMarker();
  }

  /* Mouse: HTML5 drag and drop ------------------------------------------------------------- */

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[data-move-url]");
    if (!card) return;
    if (touch) {
      // A touch drag is under way (browsers that also start a native drag on a long press).
      event.preventDefault();
      return;
    }
    startDrag(card);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    window.requestAnimationFrame(function () {
      card.classList.add("is-dragging");
    });
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged || touch) return;
    var list = listAt(event.target);
    if (!list) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    placeMarker(list, event.clientY);
  });

  document.addEventListener("drop", function (event) {
    if (touch) return;
    if (dropDragged()) event.preventDefault();
  });

  document.addEventListener("dragend", function () {
    if (!touch) endDrag();
  });

  /* Touch and pen: press and hold, then drag (pointer events) ------------------------------ */

  var HOLD_MS = 350; // how long a finger rests on a card before it picks the card up
  var SLOP = 8; // px a finger may wander while holding; more is a scroll, not a drag
  var EDGE = 40; // px from the screen's edge where a held card scrolls the board or page
  var STEP = 12; // px scrolled per frame there
  var touch = null; // the press under way: card, pointer, start and last point, ghost, ...
  var swallowClickUntil = 0;

  function cancelTouch() {
    if (!touch) return;
    window.clearTimeout(touch.timer);
    if (touch.frame) window.cancelAnimationFrame(touch.frame);
    if (touch.ghost) touch.ghost.remove();
    if (touch.active) {
      endDrag();
      document.documentElement.classList.remove("is-touch-dragging");
    }
    touch = null;
  }

  function followFinger() {
    var ghost = touch.ghost;
    ghost.style.transform =
      "translate(" + (touch.lastX - touch.offsetX) + "px, " + (touch.lastY - touch.offsetY) + "px)";
    // The ghost lets events through (pointer-events: none), so this finds what is beneath it.
    // A finger past the board's side (scrolling it at the screen's edge) aims at its edge.
    var x = touch.lastX;
    var root = board();
    if (root) {
      var edges = root.getBoundingClientRect();
      x = Math.min(Math.max(x, edges.left + 1), edges.right - 1);
    }
    var list = listAt(document.elementFromPoint(x, touch.lastY));
    if (list) placeMarker(list, touch.lastY);
  }

  /* While a card is held near an edge, scroll the board sideways or the page up and down. */
  function autoScroll() {
    if (!touch || !touch.active) return;
    var dx = touch.lastX < EDGE ? -STEP : touch.lastX > window.innerWidth - EDGE ? STEP : 0;
    var dy = touch.lastY < EDGE ? -STEP : touch.lastY > window.innerHeight - EDGE ? STEP : 0;
    var root = board();
    if (dx && root) root.scrollLeft += dx;
    if (dy) window.scrollBy(0, dy);
    if (dx || dy) followFinger();
    touch.frame = window.requestAnimationFrame(autoScroll);
  }

  function pickUp() {
    var card = touch.card;
    var box = card.getBoundingClientRect();
    touch.active = true;
    touch.offsetX = touch.startX - box.left;
    touch.offsetY = touch.startY - box.top;
    var selection = window.getSelection && window.getSelection();
    if (selection) selection.removeAllRanges();
    document.documentElement.classList.add("is-touch-dragging");
    startDrag(card);
    card.classList.add("is-dragging");
    // A copy of the card follows the finger; the card itself stays, faded, until the drop.
    var ghost = card.cloneNode(true);
    ghost.removeAttribute("id");
    ghost.removeAttribute("tabindex");
    ghost.setAttribute("aria-hidden", "true");
    ghost.inert = true;
    ghost.classList.remove("is-dragging");
    ghost.classList.add("drag-ghost");
    ghost.style.width = box.width + "px";
    document.body.appendChild(ghost);
    touch.ghost = ghost;
    followFinger();
    touch.frame = window.requestAnimationFrame(autoScroll);
  }

  document.addEventListener("pointerdown", function (event) {
    if (event.pointerType === "mouse" || !event.isPrimary) return;
    cancelTouch();
    var card = event.target.closest && event.target.closest(".board-card[data-move-url]");
    // The card's own controls keep their taps.
    if (!card || event.target.closest("button, input, select, textarea, summary, form")) return;
    touch = {
      card: card,
      pointerId: event.pointerId,
      startX: event.clientX,
      startY: event.clientY,
      lastX: event.clientX,
      lastY: event.clientY,
      active: false,
    };
    touch.timer = window.setTimeout(pickUp, HOLD_MS);
  });

  document.addEventListener("pointermove", function (event) {
    if (!touch || event.pointerId !== touch.pointerId) return;
    touch.lastX = event.clientX;
    touch.lastY = event.clientY;
    if (touch.active) {
      followFinger();
    } else if (Math.hypot(event.clientX - touch.startX, event.clientY - touch.startY) > SLOP) {
      cancelTouch(); // the finger is scrolling
    }
  });

  document.addEventListener("pointerup", function (event) {
    if (!touch || event.pointerId !== touch.pointerId) return;
    if (touch.active) {
      swallowClickUntil = Date.now() + 500;
      var ghost = touch.ghost;
      touch.ghost = null;
      if (ghost) ghost.remove();
      window.cancelAnimationFrame(touch.frame);
      document.documentElement.classList.remove("is-touch-dragging");
      touch = null;
      if (!dropDragged()) endDrag();
    } else {
      cancelTouch();
    }
  });

  document.addEventListener("pointercancel", function (event) {
    if (touch && event.pointerId === touch.pointerId) cancelTouch();
  });

  // Once a card is held, the finger moves it instead of scrolling the page (this listener
  // must not be passive for preventDefault to stop the scroll).
  document.addEventListener(
    "touchmove",
    function (event) {
      if (touch && touch.active) event.preventDefault();
    },
    { passive: false }
  );

  // A long press would otherwise open the link menu or select text, and the lifted finger
  // would follow the card's link.
  document.addEventListener("contextmenu", function (event) {
    if (touch) event.preventDefault();
  });

  document.addEventListener(
    "click",
    function (event) {
      if (Date.now() < swallowClickUntil && event.target.closest && event.target.closest("[data-board]")) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );

  /* Keyboard: arrow keys on a focused card press its move controls ------------------------- */

  var KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

  document.addEventListener("keydown", function (event) {
    var direction = KEYS[event.key];
    if (!direction || event.ctrlKey || event.metaKey || event.altKey) return;
    var card = event.target;
    if (!card.matches || !card.matches(".board-card[data-move-url]")) return;
    event.preventDefault();
    var button = card.querySelector('button[data-move="' + direction + '"]');
    if (!button) {
      announce("“" + cardTitle(card) + "” cannot move further that way.");
      return;
    }
    var target = button.value.split(":");
    move(card, target[0], target[1]);
  });

  /* htmx swaps (the move buttons and the "Move…" form): keep the focus on the moved card. */
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    var fresh = board();
    if (fresh && target && (target.id === "board" || !document.body.contains(target))) {
      refocus(fresh, null);
    }
  });
})();
