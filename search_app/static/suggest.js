// Search-box completions (ARIA 1.2 combobox with a listbox popup).
// Progressive enhancement: without this file the form submits as usual.
// Suggestions are inserted with textContent only, never as HTML.
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var MAX_CHARS = 100;

  function init() {
    var input = document.getElementById("q");
    var list = document.getElementById("q-suggestions");
    if (!input || !list || !window.fetch) {
      return;
    }
    var form = input.form;
    var endpoint = input.getAttribute("data-suggest-url") || "/api/suggest";
    var timer = 0;
    var controller = null;
    var active = -1;
    var shownFor = null;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");

    function options() {
      return list.querySelectorAll("[role=option]");
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      active = -1;
      shownFor = null;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var items = options();
      if (!items.length) {
        return;
      }
      if (index < -1) {
        index = items.length - 1;
      } else if (index >= items.length) {
        index = -1;
      }
      active = index;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(text) {
      input.value = text;
      close();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        form.submit();
      }
    }

    function render(query, suggestions) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!suggestions.length) {
        close();
        return;
      }
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.id = "q-suggestion-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.className = "suggestion suggestion-" + (s.kind === "title" ? "title" : "term");
        li.textContent = String(s.text);
        li.addEventListener("mousedown", function (event) {
          // Keep the focus in the box so the list does not close before the click.
          event.preventDefault();
        });
        li.addEventListener("click", function () {
          pick(String(s.text));
        });
        list.appendChild(li);
      });
      shownFor = query;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function fetchSuggestions() {
      var query = input.value;
      if (!query.trim() || query.length > MAX_CHARS) {
        close();
        return;
      }
      if (query === shownFor) {
        return;
      }
      if (controller) {
        controller.abort(); // an answer for older text must never replace a newer one
      }
      controller = window.AbortController ? new AbortController() : null;
      var url = endpoint + "?q=" + encodeURIComponent(query);
      fetch(url, { signal: controller ? controller.signal : undefined, headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        })
        .then(function (data) {
          if (input.value !== query || document.activeElement !== input) {
            return;
          }
          render(query, Array.isArray(data.suggestions) ? data.suggestions : []);
        })
        .catch(function () {
          // Aborted or offline: the box keeps working as a plain search box.
        });
    }

    input.addEventListener("input", function (event) {
      // While an IME is composing (かな漢字変換) the text is not final yet.
      if (event.isComposing) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener("compositionend", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fetchSuggestions, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) {
        return; // Enter and arrows belong to the IME while it converts
      }
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        if (open) {
          highlight(active + 1);
        } else {
          shownFor = null;
          fetchSuggestions();
        }
        event.preventDefault();
      } else if (event.key === "ArrowUp") {
        if (open) {
          highlight(active - 1);
          event.preventDefault();
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          pick(options()[active].textContent);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      window.clearTimeout(timer);
      close();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
