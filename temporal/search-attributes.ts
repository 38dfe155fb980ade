/**
 * Custom search attributes docflow's workflows set, with the type names the Temporal CLI uses
 * (`--search-attribute Name=Type`, `operator search-attribute create --type`). Prefixed with
 * "Docflow" because search attributes are cluster-wide on many deployments and must not clash
 * with another application's. Kept free of imports so workflow code and scripts can share it.
 */
export const SEARCH_ATTRIBUTES = {
  DocflowTenant: 'Keyword',
  DocflowBatch: 'Keyword',
  DocflowDocumentCount: 'Int',
  DocflowStatus: 'Keyword',
} as const;

/** Type names the Temporal CLI accepts for a custom search attribute. */
export type CliSearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/** Name of one of docflow's search attributes, for code that iterates over them. */
export type DocflowSearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;

/** The SDK's spelling of the same types (`SearchAttributeType` in `@temporalio/common`). */
export type SdkSearchAttributeType = CliToSdkSearchAttributeType[CliSearchAttributeType];

/** Type-level twin of CLI_TO_SDK, so keys derived from SEARCH_ATTRIBUTES keep their value types. */
export interface CliToSdkSearchAttributeType {
  Text: 'TEXT';
  Keyword: 'KEYWORD';
  Int: 'INT';
  Double: 'DOUBLE';
  Bool: 'BOOL';
  Datetime: 'DATETIME';
  KeywordList: 'KEYWORD_LIST';
}

const CLI_TO_SDK: CliToSdkSearchAttributeType = {
  Text: 'TEXT',
  Keyword: 'KEYWORD',
  Int: 'INT',
  Double: 'DOUBLE',
  Bool: 'BOOL',
  Datetime: 'DATETIME',
  KeywordList: 'KEYWORD_LIST',
};

/** Converts a CLI type name to the SDK's, so one table drives both the CLI flags and the typed keys. */
export function toSdkSearchAttributeType<T extends CliSearchAttributeType>(type: T): CliToSdkSearchAttributeType[T] {
  return CLI_TO_SDK[type];
}
