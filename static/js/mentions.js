/*
 * @username suggestions in comment and description fields. The page names the endpoint with
 * data-mention-url (the project's members, JSON: {"results": [{"username", "name"}]}); typing
 * "@" and a few letters in a textarea named "body" or "description" lists up to eight members.
 * Arrow keys move, Enter or Tab inserts "@username ", Escape closes. Without this file the
 * fields are plain textareas and mentions still work when typed in full.
 */
(function () {
  "use strict";

  var MENTION = /(^|[^\w.+@-])@([\w.+-]{0,30})$/;
  var menu = null;
  var field = null;
  var items = [];
  var active = -1;
  var timer = null;
  var serial = 0;

  function source() {
    var el = document.querySelector("[data-mention-url]");
    return el ? el.getAttribute("data-mention-url") : null;
  }

  function isMentionField(el) {
    return el && el.tagName === "TEXTAREA" && (el.name === "body" || el.name === "description");
  }

  function close() {
    if (menu) menu.remove();
    if (field) {
      field.removeAttribute("aria-activedescendant");
      field.setAttribute("aria-expanded", "false");
    }
    menu = null;
    items = [];
    active = -1;
  }

  function highlight(index) {
    if (!menu || !items.length) return;
    active = (index + items.length) % items.length;
    Array.prototype.forEach.call(menu.children, function (li, i) {
      li.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    field.setAttribute("aria-activedescendant", "mention-option-" + active);
  }

  function choose(index) {
    var person = items[index];
    if (!person || !field) return;
    var caret = field.selectionStart;
    var before = field.value.slice(0, caret).replace(/@[\w.+-]*$/, "@" + person.username + " ");
    field.value = before + field.value.slice(caret);
    field.selectionStart = field.selectionEnd = before.length;
    close();
    field.focus();
  }

  function show(results) {
    close();
    if (!results.length) return;
    items = results;
    menu = document.createElement("ul");
    menu.className = "mention-menu";
    menu.id = "mention-menu";
    menu.setAttribute("role", "listbox");
    menu.setAttribute("aria-label", "People to mention");
    results.forEach(function (person, i) {
      var li = document.createElement("li");
      li.id = "mention-option-" + i;
      li.setAttribute("role", "option");
      li.textContent = "@" + person.username + (person.name !== person.username ? " · " + person.name : "");
      li.addEventListener("mousedown", function (event) {
        event.preventDefault();
        choose(i);
      });
      menu.appendChild(li);
    });
    field.setAttribute("aria-controls", "mention-menu");
    field.setAttribute("aria-expanded", "true");
    field.insertAdjacentElement("afterend", menu);
    highlight(0);
  }

  function lookup(prefix) {
    var url = source();
    if (!url) return;
    var mine = ++serial;
    fetch(url + "?q=" + encodeURIComponent(prefix), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (mine === serial) show(data.results || []); })
      .catch(close);
  }

  document.addEventListener("input", function (event) {
    if (!isMentionField(event.target) || !source()) return;
    field = event.target;
    field.setAttribute("aria-autocomplete", "list");
    var match = MENTION.exec(field.value.slice(0, field.selectionStart));
    clearTimeout(timer);
    if (!match) return close();
    timer = setTimeout(function () { lookup(match[2]); }, 150);
  });

  document.addEventListener("keydown", function (event) {
    if (!menu || event.target !== field) return;
    if (event.key === "ArrowDown") highlight(active + 1);
    else if (event.key === "ArrowUp") highlight(active - 1);
    else if (event.key === "Enter" || event.key === "Tab") choose(active);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });

  document.addEventListener("focusout", function (event) {
    if (event.target === field) setTimeout(close, 100);
  });
})();
