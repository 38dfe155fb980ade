/** Where a passage came from, in words: its page, or its sheet and rows. Shared by search results and the document page. */
import type { ChunkView } from '../../../core/contracts.js';
import { t } from './i18n/index.svelte.js';

export function placeOf(p: Pick<ChunkView, 'page' | 'sheet' | 'rowStart' | 'rowEnd'>): string {
  if (p.sheet !== null && p.rowStart !== null) return t('search.sheet', { sheet: p.sheet, from: p.rowStart, to: p.rowEnd ?? p.rowStart });
  if (p.page !== null) return t('search.page', { page: p.page });
  return '';
}
