/**
 * The current language and the `t` lookup. The choice is kept in localStorage; the first visit
 * follows the browser's language. Keys are dotted paths into the English dictionary, checked
 * by the type system, so a typo does not compile.
 */
import { en, type Messages } from './en.js';
import { it } from './it.js';

export const LOCALES = ['en', 'it'] as const;
export type Locale = (typeof LOCALES)[number];

const DICTIONARIES: Record<Locale, Messages> = { en, it };
const STORAGE_KEY = 'docflow.locale';

/** Every dotted path of a nested object whose leaves are strings. */
type Paths<T> = { [K in keyof T & string]: T[K] extends string ? K : `${K}.${Paths<T[K]>}` }[keyof T & string];
export type MessageKey = Paths<Messages>;

function initialLocale(): Locale {
  if (typeof localStorage === 'undefined') return 'en';
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'it') return saved;
  return typeof navigator !== 'undefined' && navigator.language.toLowerCase().startsWith('it') ? 'it' : 'en';
}

const state = $state<{ locale: Locale }>({ locale: initialLocale() });

/** The language in use. */
export function locale(): Locale {
  return state.locale;
}

/** Switches language, remembers it, and updates `<html lang>` for screen readers. */
export function setLocale(next: Locale): void {
  state.locale = next;
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
}

/** The active dictionary, for structured entries such as the reason explanations. */
export function messages(): Messages {
  return DICTIONARIES[state.locale];
}

/** Looks a message up and fills its `{name}` placeholders. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  let node: unknown = DICTIONARIES[state.locale];
  for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
  const text = typeof node === 'string' ? node : key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
