// The HTTP Endpoint for Webhooks form: saves and deletes through the JSON API.
// Secret fields start empty and are sent only when typed into; the server never sends them back.
"use strict";

(() => {
  const { api } = window.releaseHost;
  const API = "/api/v1/config/webhook-endpoints";
  const $ = (id) => document.getElementById(id);
  const form = $("endpoint-form");
  if (!form) return;
  const endpointId = form.dataset.endpointId;
  const auth = $("endpoint-authentication");
  const secret = $("endpoint-secret-token");
  const password = $("endpoint-password");

  const AUTH_HINTS = {
    none: "Anyone who knows the URL may call it.",
    basic: "Callers send HTTP Basic credentials: the username and password below.",
    token:
      "Callers send the personal access token given as Secret Token, in the x-release-personal-token header " +
      "or as Basic with an empty username. It must still be valid: deleting the token shuts them out.",
    "hmac-sha256": "GitHub signs each delivery with the Secret Token (X-Hub-Signature-256).",
  };

  // Which API message goes under which field: messages start with the field's label.
  const FIELD_ERRORS = [
    ["Title", "endpoint-title"],
    ["Endpoint Path", "endpoint-path"],
    ["Secret Token", "endpoint-secret-token"],
    ["Username", "endpoint-username"],
    ["Password", "endpoint-password"],
    ["Request Retention", "endpoint-retention"],
  ];

  function secretHint(set, what) {
    if (set) return `A ${what} is set. Leave this empty to keep it, or type a new one to replace it.`;
    return "";
  }

  function updateAuth() {
    const method = auth.value;
    $("endpoint-authentication-hint").textContent = AUTH_HINTS[method] || "";
    $("secret-token-field").hidden = method !== "token" && method !== "hmac-sha256";
    $("username-field").hidden = method !== "basic";
    $("password-field").hidden = method !== "basic";
    const tokenSet = secret.dataset.set === "true" && auth.dataset.initial === method;
    $("endpoint-secret-token-hint").textContent =
      secretHint(tokenSet, "secret token") ||
      (method === "token" ? "Paste a personal access token (rpa_…)." : "The secret you also give GitHub.");
    const passwordSet = password.dataset.set === "true" && auth.dataset.initial === method;
    $("endpoint-password-hint").textContent = secretHint(passwordSet, "password");
  }

  function updateUrl() {
    const path = $("endpoint-path");
    $("endpoint-url").textContent = path.dataset.base + path.value.trim();
  }

  function showError(message) {
    for (const [, id] of FIELD_ERRORS) {
      $(`${id}-error`).hidden = true;
      $(id).removeAttribute("aria-invalid");
    }
    const general = $("endpoint-error");
    general.hidden = true;
    if (!message) return;
    const match = FIELD_ERRORS.find(([label, id]) => message.startsWith(label) && !$(id).closest("[hidden]"));
    if (match) {
      const node = $(`${match[1]}-error`);
      node.textContent = message;
      node.hidden = false;
      $(match[1]).setAttribute("aria-invalid", "true");
      $(match[1]).focus();
    } else {
      general.textContent = message;
      general.hidden = false;
    }
  }

  function body() {
    const data = {
      title: $("endpoint-title").value,
      enabled: $("endpoint-enabled").checked,
      path: $("endpoint-path").value,
      method: $("endpoint-method").value,
      authentication: auth.value,
      requestRetention: $("endpoint-retention").value.trim(),
    };
    const retention = Number(data.requestRetention);
    if (data.requestRetention !== "" && Number.isInteger(retention)) data.requestRetention = retention;
    if ((auth.value === "token" || auth.value === "hmac-sha256") && secret.value) data.secretToken = secret.value;
    if (auth.value === "basic") {
      data.username = $("endpoint-username").value;
      if (password.value) data.password = password.value;
    }
    return data;
  }

  async function save(event) {
    event.preventDefault();
    showError("");
    const button = $("endpoint-save");
    button.disabled = true;
    const result = endpointId
      ? await api("PUT", `${API}/${encodeURIComponent(endpointId)}`, body())
      : await api("POST", API, body());
    button.disabled = false;
    if (!result.ok) {
      showError((result.data && result.data.message) || `Saving failed (${result.status}).`);
      return;
    }
    secret.value = "";
    password.value = "";
    window.location.assign(form.dataset.done);
  }

  const dialog = $("delete-dialog");
  async function confirmDelete(event) {
    event.preventDefault();
    const button = $("delete-confirm");
    button.disabled = true;
    const result = await api("DELETE", `${API}/${encodeURIComponent(endpointId)}`);
    button.disabled = false;
    if (!result.ok && result.status !== 404) {
      const error = $("delete-error");
      error.textContent = (result.data && result.data.message) || `Deleting failed (${result.status}).`;
      error.hidden = false;
      return;
    }
    dialog.close("deleted");
    window.location.assign(form.dataset.done);
  }

  auth.dataset.initial = endpointId ? auth.value : "";
  auth.addEventListener("change", updateAuth);
  $("endpoint-path").addEventListener("input", updateUrl);
  form.addEventListener("submit", save);
  if (dialog) {
    $("endpoint-delete").addEventListener("click", () => {
      $("delete-error").hidden = true;
      dialog.showModal();
      $("delete-cancel").focus();
    });
    $("delete-confirm").addEventListener("click", confirmDelete);
  }
  updateAuth();
  updateUrl();
})();
