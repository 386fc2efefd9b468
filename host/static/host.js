// Release Host page shell: the account menu, and helpers plugin pages share (window.releaseHost).
"use strict";

window.releaseHost = (() => {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";
  const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

  // JSON API call with the session's CSRF token; a lost session goes back to the login page.
  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (!SAFE.has(method) && csrfToken) headers["X-CSRF-Token"] = csrfToken;
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (response.status === 401) {
      const here = window.location.pathname + window.location.search;
      window.location.assign("/login?next=" + encodeURIComponent(here));
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    return { ok: response.ok, status: response.status, data };
  }

  // Instants arrive as ISO 8601 UTC; people read them in the browser's own time zone.
  const dateTime = new Intl.DateTimeFormat(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });

  function formatInstant(iso) {
    return iso ? dateTime.format(new Date(iso)) : "";
  }

  // "6 days 23 h 59 min", "3 h 5 min", "12 min", "less than 1 min", "expired".
  function formatRemaining(ms) {
    if (ms <= 0) return "expired";
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "less than 1 min";
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    const parts = [];
    if (days) parts.push(days === 1 ? "1 day" : `${days} days`);
    if (days || hours) parts.push(`${hours} h`);
    parts.push(`${mins} min`);
    return parts.join(" ");
  }

  function localizeTimes(root) {
    for (const el of root.querySelectorAll("time[data-local]")) {
      el.textContent = formatInstant(el.getAttribute("datetime"));
    }
  }

  function setUpMenu() {
    const menu = document.getElementById("user-menu");
    if (!menu) return;
    const summary = menu.querySelector("summary");
    const sync = () => summary.setAttribute("aria-expanded", String(menu.open));
    sync();
    menu.addEventListener("toggle", sync);
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        summary.focus();
      }
    });
  }

  // A modal dialog opened from a button: focus goes to its first field (or its first button) and
  // comes back to the button when it closes, by Escape, Cancel or submit.
  function openDialog(dialog, opener) {
    dialog.showModal();
    const first = dialog.querySelector("[autofocus], input:not([type=hidden]), select, textarea, button");
    if (first) first.focus();
    dialog.addEventListener("close", () => opener && opener.focus(), { once: true });
  }

  // `data-dialog="ID"` on a button opens that dialog; `data-close-dialog` inside one closes it;
  // a dialog marked `data-open` (a form the server sent back with an error) opens at once.
  function setUpDialogs() {
    for (const opener of document.querySelectorAll("[data-dialog]")) {
      const dialog = document.getElementById(opener.dataset.dialog);
      if (dialog) opener.addEventListener("click", () => openDialog(dialog, opener));
    }
    for (const closer of document.querySelectorAll("[data-close-dialog]")) {
      closer.addEventListener("click", () => closer.closest("dialog").close());
    }
    for (const dialog of document.querySelectorAll("dialog[data-open]")) {
      openDialog(dialog, document.querySelector(`[data-dialog="${CSS.escape(dialog.id)}"]`));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    setUpMenu();
    setUpDialogs();
    localizeTimes(document);
  });

  return { api, csrfToken, formatInstant, formatRemaining, localizeTimes, openDialog };
})();
