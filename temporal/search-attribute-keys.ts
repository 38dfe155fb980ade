import { defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES, toSdkSearchAttributeType, type DocflowSearchAttributeName } from './search-attributes.js';

// Workflow code imports this module, and the workflow bundle must stay free of Node APIs:
// only @temporalio/common and the plain table in search-attributes.ts are allowed here.

// Deriving each key from the table keeps name and type in one place: changing a type there
// changes the key's value type here, and every upsert that no longer fits fails to compile.
function keyFor<K extends DocflowSearchAttributeName>(name: K) {
  return defineSearchAttributeKey(name, toSdkSearchAttributeType(SEARCH_ATTRIBUTES[name]));
}

/** Typed key for `upsertSearchAttributes`/`typedSearchAttributes`: which tenant a run belongs to. */
export const TENANT_KEY = keyFor('DocflowTenant');

/** Typed key: the upload batch a run was started for, so a batch's runs can be listed. */
export const BATCH_KEY = keyFor('DocflowBatch');

/** Typed key: how many documents a batch run covers, so list views need no history replay. */
export const DOCUMENT_COUNT_KEY = keyFor('DocflowDocumentCount');

/** Typed key: docflow's own pipeline status, finer-grained than Temporal's execution status. */
export const STATUS_KEY = keyFor('DocflowStatus');
