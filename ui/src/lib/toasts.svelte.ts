/** Short-lived notifications, announced politely to screen readers by the Toasts component. */
export interface Toast {
  id: number;
  kind: 'success' | 'error' | 'info';
  text: string;
  /** Optional link shown with the message, e.g. to the batch it is about. */
  href?: string;
}

export const toasts = $state<Toast[]>([]);
let nextId = 1;
/** More at once would cover the page; the oldest goes first. */
const MAX_VISIBLE = 4;

/** Shows a toast; it disappears by itself after `ms` (errors stay longer). */
export function showToast(kind: Toast['kind'], text: string, href?: string, ms = kind === 'error' ? 12_000 : 6_000): void {
  const id = nextId++;
  toasts.push({ id, kind, text, href });
  if (toasts.length > MAX_VISIBLE) toasts.splice(0, toasts.length - MAX_VISIBLE);
  setTimeout(() => dismissToast(id), ms);
}

export function dismissToast(id: number): void {
  const index = toasts.findIndex((t) => t.id === id);
  if (index >= 0) toasts.splice(index, 1);
}
