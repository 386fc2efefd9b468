// The Access tokens page: list, generate, rotate and delete through the JSON API.
// A new token's secret lives only in this page's memory and its read-only field.
// `?rotate=<id>` (the link of an expiry reminder) opens the Rotate dialog for that token.
"use strict";

(() => {
  const { api, formatInstant, formatRemaining } = window.releaseHost;
  const API = "/api/v1/personal-access-tokens";
  const $ = (id) => document.getElementById(id);

  const status = $("tokens-status");
  const wrap = $("tokens-wrap");
  const tbody = document.querySelector("#tokens-table tbody");
  const dialog = $("delete-dialog");
  const rotateDialog = $("rotate-dialog");
  let pendingDelete = null;
  let pendingRotate = null;
  let rotateRequested = new URLSearchParams(window.location.search).get("rotate");

  // ----- the table -----

  function cell(label, ...children) {
    const td = document.createElement("td");
    td.dataset.label = label;
    const body = el("div", "cell-body");
    for (const child of children) {
      if (child !== null && child !== undefined) body.append(child);
    }
    td.append(body);
    return td;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function timeEl(iso, className) {
    const node = el("time", className, formatInstant(iso));
    node.dateTime = iso;
    node.title = iso;
    return node;
  }

  function remainingText(token) {
    if (!token.expiresAt) return "Never";
    if (token.status === "expired") return "expired";
    return formatRemaining(Date.parse(token.expiresAt) - Date.now());
  }

  // What the token used in the chosen window: granted ones, and the ones it tried and was refused.
  function windowDays() {
    return Number($("usage-window").value);
  }

  function usedIn(token, days) {
    const since = new Date(Date.now() - days * 86400000).toISOString();
    return (token.usedPermissions || []).filter((use) => use.lastUsedAt >= since);
  }

  function timesText(count) {
    return `${count} time${count === 1 ? "" : "s"}`;
  }

  function usageBlock(token) {
    const uses = usedIn(token, windowDays());
    const block = el("div", "usage");
    const granted = uses.filter((use) => use.granted);
    const refused = uses.filter((use) => !use.granted);
    if (!uses.length) return null; // "Last used: Never" or an idle token: nothing to tell here
    if (granted.length) {
      block.append(el("span", "muted", "Used:"));
      const list = el("ul", "chips used-list");
      for (const use of granted) {
        const chip = el("li", "chip", use.permission);
        chip.title = `${timesText(use.count)}, last on ${formatInstant(use.lastUsedAt)}`;
        list.append(chip);
      }
      block.append(list);
    }
    for (const use of refused) {
      block.append(el("p", "refused-use", `Tried ${use.permission} ${timesText(use.count)}, not granted.`));
    }
    return block;
  }

  function permissionsCell(token) {
    const scope = token.allPermissions
      ? el("span", "scope-all", "All permissions")
      : el("ul", "chips");
    if (!token.allPermissions) for (const name of token.globalPermissions) scope.append(el("li", "chip", name));
    return cell("Permissions", scope, usageBlock(token));
  }

  function row(token) {
    const tr = document.createElement("tr");
    tr.dataset.id = String(token.id);
    const name = el("span", "token-name", token.tokenNote);
    const expired = token.status === "expired" ? el("span", "badge badge-expired", "Expired") : null;
    const replaced = token.replacedAt ? el("span", "badge badge-replaced", "Replaced") : null;
    const replacedNote = token.replacedAt ? el("span", "muted replaced-note") : null;
    if (replacedNote) {
      replacedNote.append("replaced on ", timeEl(token.replacedAt), ", valid until ", timeEl(token.expiresAt));
    }
    const lastUsed = token.lastUsedAt
      ? [timeEl(token.lastUsedAt), el("span", "muted ip", token.lastUsedIp ? `from ${token.lastUsedIp}` : "")]
      : [el("span", "muted", "Never")];
    const remaining = el("span", "expires-in", remainingText(token));
    if (token.expiresAt) remaining.dataset.expires = token.expiresAt;
    const del = el("button", "button quiet delete", "Delete");
    del.type = "button";
    del.setAttribute("aria-label", `Delete token ${token.tokenNote}`);
    del.addEventListener("click", () => askDelete(token));
    const actions = [del];
    const granted = usedIn(token, windowDays()).filter((use) => use.granted);
    if (!token.replacedAt && token.status !== "expired" && granted.length) {
      const narrow = el("button", "button quiet narrow", "Narrow to used permissions");
      narrow.type = "button";
      narrow.setAttribute("aria-label", `Narrow token ${token.tokenNote} to used permissions`);
      narrow.addEventListener("click", () => askNarrow(token, granted));
      actions.unshift(narrow);
    }
    if (rotateDialog && !token.replacedAt && token.status !== "expired") {
      const rot = el("button", "button quiet rotate", "Rotate");
      rot.type = "button";
      rot.setAttribute("aria-label", `Rotate token ${token.tokenNote}`);
      rot.addEventListener("click", () => askRotate(token));
      actions.unshift(rot);
    }    tr.append(
      cell("Name", name, expired, replaced, replacedNote),
      cell("Token", el("code", "hint-code", token.hint)),
      cell("Created", timeEl(token.createdAt)),
      cell("Last used", ...lastUsed),
      cell("Expires", token.expiresAt ? timeEl(token.expiresAt, "expires") : el("span", "expires", "Never")),
      cell("Expires in", remaining),
      permissionsCell(token),
      cell("Actions", ...actions),
    );
    return tr;
  }

  function show(tokens) {
    tbody.replaceChildren(...tokens.map(row));
    wrap.hidden = tokens.length === 0;
    status.textContent = tokens.length
      ? `${tokens.length} token${tokens.length === 1 ? "" : "s"}`
      : "You have no personal access tokens yet.";
  }

  let lastTokens = [];

  async function load() {
    const result = await api("GET", API);
    if (!result.ok) {
      status.textContent = (result.data && result.data.message) || `The tokens could not be loaded (${result.status}).`;
      return;
    }
    lastTokens = result.data;
    show(result.data);
    if (rotateRequested && rotateDialog) {
      const wanted = result.data.find((token) => String(token.id) === rotateRequested);
      rotateRequested = null;
      if (wanted && !wanted.replacedAt && wanted.status !== "expired") askRotate(wanted);
      else status.textContent = "That token can no longer be rotated: it was replaced, has expired or was deleted.";
    }
  }

  // "Expires in" counts down live; it is the same whatever the time zone.
  function tick() {
    for (const node of tbody.querySelectorAll(".expires-in[data-expires]")) {
      node.textContent = formatRemaining(Date.parse(node.dataset.expires) - Date.now());
    }
  }

  // ----- delete -----

  function askDelete(token) {
    pendingDelete = token;
    $("delete-name").textContent = token.tokenNote;
    $("delete-error").hidden = true;
    dialog.showModal();
    $("delete-cancel").focus();
  }

  async function confirmDelete(event) {
    event.preventDefault();
    if (!pendingDelete) return;
    const token = pendingDelete;
    const button = $("delete-confirm");
    button.disabled = true;
    const result = await api("DELETE", `${API}/${encodeURIComponent(token.id)}`);
    button.disabled = false;
    if (!result.ok && result.status !== 404) {
      const error = $("delete-error");
      error.textContent = (result.data && result.data.message) || `The token could not be deleted (${result.status}).`;
      error.hidden = false;
      return;
    }
    pendingDelete = null;
    dialog.close("deleted");
    const tr = tbody.querySelector(`tr[data-id="${CSS.escape(String(token.id))}"]`);
    if (tr) tr.remove();
    const left = tbody.children.length;
    wrap.hidden = left === 0;
    status.textContent = `Token "${token.tokenNote}" deleted.`;
  }

  // ----- narrow -----

  const narrowDialog = $("narrow-dialog");
  let pendingNarrow = null;

  function askNarrow(token, granted) {
    pendingNarrow = token;
    $("narrow-name").textContent = `"${token.tokenNote}"`;
    $("narrow-window").textContent = `last ${windowDays()} days`;
    $("narrow-list").replaceChildren(...granted.map((use) => el("li", "chip", use.permission)));
    $("narrow-error").hidden = true;
    narrowDialog.showModal();
    $("narrow-cancel").focus();
  }

  async function confirmNarrow(event) {
    event.preventDefault();
    if (!pendingNarrow) return;
    const token = pendingNarrow;
    const button = $("narrow-confirm");
    button.disabled = true;
    const result = await api("POST", `${API}/${encodeURIComponent(token.id)}/narrow`, { days: windowDays() });
    button.disabled = false;
    if (!result.ok) {
      const error = $("narrow-error");
      error.textContent = (result.data && result.data.message) || `The token could not be narrowed (${result.status}).`;
      error.hidden = false;
      return;
    }
    pendingNarrow = null;
    narrowDialog.close("narrowed");
    await load();
    status.textContent = `Token "${token.tokenNote}" now has only: ${result.data.globalPermissions.join(", ")}.`;
  }

  // ----- rotate -----

  function askRotate(token) {
    pendingRotate = token;
    $("rotate-name").textContent = `"${token.tokenNote}"`;
    $("rotate-error").hidden = true;
    rotateDialog.showModal();
    $("rotate-overlap").focus();
  }

  async function confirmRotate(event) {
    event.preventDefault();
    if (!pendingRotate) return;
    const token = pendingRotate;
    const body = { overlap: $("rotate-overlap").value };
    if ($("rotate-expiration").value) body.expiration = $("rotate-expiration").value;
    const button = $("rotate-confirm");
    button.disabled = true;
    const result = await api("POST", `${API}/${encodeURIComponent(token.id)}/rotate`, body);
    button.disabled = false;
    if (result.status !== 201) {
      const error = $("rotate-error");
      error.textContent = (result.data && result.data.message) || `The token could not be rotated (${result.status}).`;
      error.hidden = false;
      return;
    }
    pendingRotate = null;
    rotateDialog.close("rotated");
    panel.hidden = false;
    openButton.setAttribute("aria-expanded", "true");
    showSecret(result.data);
    load();
  }

  // ----- generate -----

  const panel = $("generate-panel");
  const openButton = $("generate-open");
  const form = $("generate-form");

  function fieldError(id, message, input) {
    const node = $(id);
    node.textContent = message || "";
    node.hidden = !message;
    if (input) {
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  function clearErrors() {
    fieldError("token-name-error", "", $("token-name"));
    fieldError("token-expiration-error", "", $("token-expiration"));
    fieldError("permissions-error", "");
    fieldError("generate-error", "");
  }

  function updatePreview() {
    const option = $("token-expiration").selectedOptions[0];
    const seconds = option ? Number(option.dataset.seconds) : 0;
    $("token-expiration-preview").textContent = seconds
      ? `The token will expire on ${formatInstant(new Date(Date.now() + seconds * 1000).toISOString())}.`
      : "The token will never expire. Prefer an expiry date when you can.";
  }

  function selectedScope() {
    return form.querySelector('input[name="scope"]:checked').value;
  }

  function updateScope() {
    $("permission-list").hidden = selectedScope() !== "selected";
  }

  function openPanel() {
    panel.hidden = false;
    form.hidden = false;
    $("token-result").hidden = true;
    openButton.setAttribute("aria-expanded", "true");
    updatePreview();
    updateScope();
    $("token-name").focus();
  }

  function closePanel() {
    $("new-token").value = "";
    $("copy-status").textContent = "";
    panel.hidden = true;
    openButton.setAttribute("aria-expanded", "false");
    openButton.focus();
  }

  // The API names the field in its message; show it where the user can fix it.
  function placeError(result) {
    const message = ((result.data && result.data.message) || `Generating failed (${result.status}).`)
      .replace(/\btokenNote\b/g, "Token name")
      .replace(/\bglobalPermissions\b/g, "The permission selection");
    const raw = (result.data && result.data.message) || "";
    if (/\btokenNote\b/.test(raw)) fieldError("token-name-error", message, $("token-name"));
    else if (/^expiration\b/.test(raw)) fieldError("token-expiration-error", message, $("token-expiration"));
    else if (/permission/i.test(raw) && result.status === 400) fieldError("permissions-error", message);
    else fieldError("generate-error", message);
  }

  async function generate(event) {
    event.preventDefault();
    clearErrors();
    const nameInput = $("token-name");
    const body = { tokenNote: nameInput.value.trim(), expiration: $("token-expiration").value };
    if (!body.tokenNote) {
      fieldError("token-name-error", "Enter a token name.", nameInput);
      nameInput.focus();
      return;
    }
    // The server's rule: characters (code points) after NFC, not the UTF-16 units of maxlength.
    const max = Number(nameInput.dataset.maxCharacters);
    const length = [...body.tokenNote.normalize("NFC")].length;
    if (max && length > max) {
      fieldError("token-name-error", `Token name must be 1-${max} characters once trimmed; it has ${length}.`, nameInput);
      nameInput.focus();
      return;
    }
    if (selectedScope() === "selected") {
      body.globalPermissions = [...form.querySelectorAll('input[name="globalPermissions"]:checked')].map(
        (box) => box.value,
      );
      if (!body.globalPermissions.length) {
        fieldError("permissions-error", "Select at least one permission, or use all permissions.");
        return;
      }
    }
    const submit = $("generate-submit");
    submit.disabled = true;
    const result = await api("POST", API, body);
    submit.disabled = false;
    if (result.status !== 201) {
      placeError(result);
      return;
    }
    showSecret(result.data);
    form.reset();
    load();
  }

  function showSecret(created) {
    form.hidden = true;
    $("token-result").hidden = false;
    $("new-token-name").textContent = `"${created.tokenNote}"`;
    const field = $("new-token");
    field.value = created.token;
    field.focus();
    field.select();
  }

  async function copySecret() {
    const field = $("new-token");
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch {
      field.select();
      copied = document.execCommand && document.execCommand("copy");
    }
    $("copy-status").textContent = copied ? "Copied to the clipboard." : "Select the token and copy it by hand.";
  }

  if (form) {
    openButton.addEventListener("click", () => (panel.hidden ? openPanel() : closePanel()));
    $("generate-cancel").addEventListener("click", closePanel);
    $("token-done").addEventListener("click", closePanel);
    $("copy-token").addEventListener("click", copySecret);
    $("token-expiration").addEventListener("change", updatePreview);
    for (const radio of form.querySelectorAll('input[name="scope"]')) radio.addEventListener("change", updateScope);
    form.addEventListener("submit", generate);
    // A name typed after an error makes the error stale: it goes, until the next submit.
    $("token-name").addEventListener("input", () => {
      if ($("token-name").value.trim()) fieldError("token-name-error", "", $("token-name"));
    });
    form.addEventListener("reset", () => window.setTimeout(() => {
      updatePreview();
      updateScope();
    }));
    window.setInterval(updatePreview, 30000);
  }
  $("delete-confirm").addEventListener("click", confirmDelete);
  $("narrow-confirm").addEventListener("click", confirmNarrow);
  narrowDialog.addEventListener("close", () => {
    pendingNarrow = null;
  });
  $("usage-window").addEventListener("change", () => show(lastTokens));
  if (rotateDialog) {
    $("rotate-confirm").addEventListener("click", confirmRotate);
    rotateDialog.addEventListener("close", () => {
      pendingRotate = null;
    });
  }
  dialog.addEventListener("close", () => {
    pendingDelete = null;
  });

  load();
  window.setInterval(tick, 1000);
})();
