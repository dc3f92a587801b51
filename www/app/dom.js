// The few DOM helpers every module uses.

export const $ = (id) => document.getElementById(id);

/// Sets an element's text only when it changes (no needless layout while playing).
export function text(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

export function showError(message) {
  const banner = $('error-banner');
  banner.textContent = message;
  banner.hidden = false;
}

export function clearError() {
  $('error-banner').hidden = true;
}

export const hasOption = (id, value) => value !== undefined && [...$(id).options].some((o) => o.value === value);
