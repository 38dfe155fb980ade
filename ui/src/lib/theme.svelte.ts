/**
 * Light, dark or the system's choice. The choice is kept in localStorage and applied as
 * `data-theme` on <html>; the CSS variables in app.css do the rest.
 */
export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

const STORAGE_KEY = 'docflow.theme';

function initialTheme(): Theme {
  if (typeof localStorage === 'undefined') return 'system';
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export const themeState = $state<{ theme: Theme }>({ theme: initialTheme() });

/** Applies the theme to the document (call once at start, and on every change). */
export function applyTheme(theme: Theme): void {
  themeState.theme = theme;
  if (theme === 'system') {
    localStorage.removeItem(STORAGE_KEY);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(STORAGE_KEY, theme);
    document.documentElement.dataset.theme = theme;
  }
}
