/*
 * Taskdesk page behaviour. Every page works without this file: it adds keyboard shortcuts and
 * small conveniences on top. The site's Content-Security-Policy forbids inline scripts and
 * event handlers, so everything here is driven by data attributes, through event delegation
 * (which also covers content that htmx swaps in later):
 *
 *   data-js-only               element hidden (with the `hidden` attribute) until this file runs
 *   data-theme-toggle          button that switches between light and dark; the choice is kept
 *                              in localStorage ("taskdesk-theme") and applied by theme.js
 *   data-shortcut="k"          pressing k focuses this field, opens this <details> menu, or
 *                              follows this link / presses this button ("/" search, "n" new task);
 *                              one inside <main> wins over one in the top bar
 *   data-shortcuts-dialog      the <dialog> that "?" opens (lists the shortcuts)
 *   data-list                  a list whose [data-list-item] rows j / k move through
 *   data-list-item             one row: gets aria-current="true" and focus when selected
 *                              (give it an id so the selection survives an htmx swap)
 *   data-list-complete         inside a row: the button that "x" presses (complete / reopen)
 *   data-list-open             inside a row: the link that Enter or "o" follows
 *   data-copy="#id"            button that copies the value (or text) of #id to the clipboard
 *   data-confirm="Question?"   on a <form>: asks before submitting (htmx forms: hx-confirm)
 *   data-autosubmit            on a field: submits its form when the value changes; pair it
 *                              with a submit button marked data-autosubmit-hide, which this file
 *                              hides (without JS the button is the way to submit)
 *   data-filter-menu           on a <details> of checkboxes in a form: closing it after a change
 *                              submits the form
 *   data-repeat-preset         the task form's repeat menu: the field of its form's
 *                              [data-repeat-custom] input shows only while "custom" is chosen
 *
 * Shortcuts never fire while the user types in a field or holds Ctrl, Alt or Meta.
 */
(function () {
  "use strict";

  var THEME_KEY = "taskdesk-theme";
  var root = document.documentElement;

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.isContentEditable) return true;
    return Boolean(target.closest("input, textarea, select, [contenteditable]"));
  }

  function isVisible(el) {
    return Boolean(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
  }

  function firstVisible(selector) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      if (isVisible(nodes[i])) return nodes[i];
    }
    return null;
  }

  /* Theme ---------------------------------------------------------------------------- */

  function currentTheme() {
    var chosen = root.getAttribute("data-theme");
    if (chosen === "light" || chosen === "dark") return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function labelThemeToggles() {
    var dark = currentTheme() === "dark";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", dark ? "true" : "false");
      button.setAttribute("title", dark ? "Switch to light theme" : "Switch to dark theme");
    });
  }

  function toggleTheme() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    root.setAttribute("data-theme", next);
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch (e) {
      // Storage blocked: the theme still changes for this page.
    }
    labelThemeToggles();
  }

  /* Lists: j / k / x / Enter ------------------------------------------------------------ */

  var selectedId = null;

  function listItems() {
    return Array.prototype.filter.call(
      document.querySelectorAll("[data-list] [data-list-item]"),
      isVisible
    );
  }

  function select(item) {
    document.querySelectorAll('[data-list-item][aria-current="true"]').forEach(function (el) {
      el.removeAttribute("aria-current");
    });
    if (!item) return;
    item.setAttribute("aria-current", "true");
    if (!item.hasAttribute("tabindex")) item.setAttribute("tabindex", "-1");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
    selectedId = item.id || null;
  }

  function selectedItem() {
    return document.querySelector('[data-list-item][aria-current="true"]');
  }

  function moveSelection(step) {
    var items = listItems();
    if (!items.length) return;
    var index = items.indexOf(selectedItem());
    var next = index === -1 ? (step > 0 ? 0 : items.length - 1) : index + step;
    select(items[Math.max(0, Math.min(items.length - 1, next))]);
  }

  /* Shortcuts ---------------------------------------------------------------------------- */

  function activate(el) {
    if (el.matches("input, textarea, select")) {
      el.focus();
      if (el.select) el.select();
    } else if (el.matches("details")) {
      el.open = true;
      var first = el.querySelector("a, button");
      if (first) first.focus();
    } else {
      el.click();
    }
  }

  function openShortcuts() {
    var dialog = document.querySelector("[data-shortcuts-dialog]");
    if (dialog && !dialog.open && dialog.showModal) dialog.showModal();
  }

  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeMenus(null);
      var navToggle = document.getElementById("nav-toggle");
      if (navToggle) navToggle.checked = false;
      if (event.target.matches && event.target.matches("[data-shortcut]")) event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (isTyping(event.target) || document.querySelector("dialog[open]")) return;

    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      openShortcuts();
      return;
    }
    if (key === "j" || key === "k") {
      event.preventDefault();
      moveSelection(key === "j" ? 1 : -1);
      return;
    }
    var item = selectedItem();
    if (key === "x" && item) {
      var complete = item.querySelector("[data-list-complete]");
      if (complete) {
        event.preventDefault();
        complete.click();
      }
      return;
    }
    if ((key === "Enter" || key === "o") && item && event.target === item) {
      var open = item.querySelector("[data-list-open]");
      if (open) {
        event.preventDefault();
        open.click();
      }
      return;
    }
    // The page's own control wins over the top bar's: on a project's list "n" goes to the
    // quick add, on the new-task page to its title, rather than to the "New task" link.
    var selector = '[data-shortcut="' + CSS.escape(key) + '"]';
    var target = key.length === 1 && (firstVisible("main " + selector) || firstVisible(selector));
    if (target) {
      event.preventDefault();
      activate(target);
    }
  });

  /* Clicks: theme, copy, menus ------------------------------------------------------------ */

  function copyFrom(button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () {
        button.textContent = label;
      }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        if (source.select) source.select();
      });
    } else if (source.select) {
      source.select();
      if (document.execCommand && document.execCommand("copy")) done();
    }
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      toggleTheme();
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      copyFrom(copy);
      return;
    }
    var row = event.target.closest("[data-list-item]");
    if (row && !event.target.closest("a, button, input, select, textarea, label")) {
      select(row);
    }
    // A click outside an open menu closes it, as native menus do.
    closeMenus(event.target.closest("details.menu"));
  });

  /* Forms: confirmation and submit-on-change ------------------------------------------------ */

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-autosubmit]") || !field.form) return;
    if (field.form.requestSubmit) field.form.requestSubmit();
    else field.form.submit();
  });

  /* A multiple-choice filter (a <details data-filter-menu> of checkboxes) applies its change
     when the menu closes, so several boxes can be ticked in one go. */
  function checkedState(menu) {
    return Array.prototype.map
      .call(menu.querySelectorAll("input[type=checkbox]"), function (box) {
        return box.checked ? "1" : "0";
      })
      .join("");
  }

  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (!menu.matches || !menu.matches("[data-filter-menu]")) return;
      if (menu.open) {
        menu.setAttribute("data-filter-state", checkedState(menu));
        return;
      }
      var form = menu.closest("form");
      if (form && menu.getAttribute("data-filter-state") !== checkedState(menu)) {
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }
    },
    true
  );

  /* Start-up and htmx --------------------------------------------------------------------- */

  function enhance(scope) {
    scope.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
    scope.querySelectorAll("[data-autosubmit-hide]").forEach(function (el) {
      el.hidden = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
    labelThemeToggles();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    enhance(event.target.parentNode || document);
    // Keep the j/k selection on the row that was just replaced.
    if (selectedId) {
      var again = document.getElementById(selectedId);
      if (again && again.matches("[data-list-item]")) select(again);
    }
  });

  /* The session ended: the server answers 401 with a message to show in place
     (HX-Retarget), leaving the form and what was typed in it as they are. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status === 401 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  /* Once a change goes through again, the session notice has said its piece (a GET, such
     as the quick add's preview while typing, changes nothing and proves nothing). */
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var config = event.detail.requestConfig;
    if (config && String(config.verb).toLowerCase() === "get") return;
    var notice = document.getElementById("session-expired");
    if (!xhr || xhr.status >= 400 || !notice || !notice.firstChild) return;
    var empty = document.createElement("div");
    empty.id = "session-expired";
    notice.replaceWith(empty);
  });

  /* Logging in again (in another tab) renews the CSRF cookie: send its current value, not
     the one this page was rendered with, so the retried change goes through. */
  function csrfCookie() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfCookie();
    if (!token) return;
    event.detail.headers["X-CSRFToken"] = token;
    if (event.detail.formData && event.detail.formData.has("csrfmiddlewaretoken")) {
      event.detail.formData.set("csrfmiddlewaretoken", token);
    }
  });

  /* A refused or failed htmx request must not fail silently: say so where flash messages go. */
  var FAILURE_TEXT = {
    403: "That was not saved: your role in this project does not allow it.",
    404: "That was not saved: it no longer exists, or you can no longer see it.",
    409: "That was not saved: it clashes with something that already exists.",
    412: "That was not saved: someone changed it meanwhile. Reload the page and try again.",
    429: "Too many requests: wait a moment and try again.",
  };

  function showFailure(text) {
    var main = document.querySelector("main") || document.body;
    var box = main.querySelector(".messages");
    if (!box) {
      box = document.createElement("div");
      box.className = "messages";
      box.setAttribute("role", "alert");
      main.insertBefore(box, main.firstChild);
    }
    var message = document.createElement("div");
    message.className = "message message-error";
    var words = document.createElement("div");
    words.className = "message-text";
    words.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "message-close";
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "×";
    close.addEventListener("click", function () {
      message.remove();
    });
    message.appendChild(words);
    message.appendChild(close);
    box.appendChild(message);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    showFailure(
      FAILURE_TEXT[status] ||
        "That was not saved (error " + status + "). Reload the page and try again."
    );
  });

  document.addEventListener("htmx:sendError", function () {
    showFailure("The server could not be reached. Check your connection and try again.");
  });

  function showCustomRule(select) {
    var custom = select.form && select.form.querySelector("[data-repeat-custom]");
    if (!custom) return;
    var field = custom.closest(".field") || custom;
    var hasError = field.classList && field.classList.contains("has-error");
    field.hidden = select.value !== "custom" && !hasError;
  }

  document.querySelectorAll("[data-repeat-preset]").forEach(showCustomRule);
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("[data-repeat-preset]")) showCustomRule(select);
  });

  window
    .matchMedia("(prefers-color-scheme: dark)")
    .addEventListener("change", labelThemeToggles);
})();
