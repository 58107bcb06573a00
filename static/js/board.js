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

  /* Drag and drop -------------------------------------------------------------------------- */

  function clearMarker() {
    if (marker && marker.parentNode) marker.parentNode.removeChild(marker);
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

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[data-move-url]");
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.id);
    marker = document.createElement("li");
    marker.className = "drop-marker";
    marker.setAttribute("aria-hidden", "true");
    window.requestAnimationFrame(function () {
      card.classList.add("is-dragging");
    });
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var list = event.target.closest && event.target.closest("[data-board] [data-column]");
    if (!list) {
      var column = event.target.closest && event.target.closest(".board-column");
      list = column && column.querySelector("[data-column]");
    }
    if (!list) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".is-drop-target").forEach(function (el) {
      if (el !== list) el.classList.remove("is-drop-target");
    });
    list.classList.add("is-drop-target");
    var after = cardAfter(list, event.clientY);
    if (after) {
      if (marker.nextSibling !== after) list.insertBefore(marker, after);
    } else if (list.lastElementChild !== marker) {
      list.appendChild(marker);
    }
  });

  document.addEventListener("drop", function (event) {
    if (!dragged || !marker || !marker.parentNode) return;
    event.preventDefault();
    var list = marker.parentNode;
    var siblings = Array.prototype.filter.call(list.children, function (el) {
      return el === marker || (el.classList.contains("board-card") && el !== dragged);
    });
    var index = siblings.indexOf(marker);
    var card = dragged;
    // Show the card where it was dropped at once; the server's board replaces it right after.
    list.insertBefore(card, marker);
    clearMarker();
    card.classList.remove("is-dragging");
    dragged = null;
    move(card, list.getAttribute("data-column"), index);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    clearMarker();
  });

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
