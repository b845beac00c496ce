/**
 * The CDS Hooks specification version the service implements, for discovery's `version` (a
 * field the 3.0 ballot adds: "The semantic version of the CDS Hooks specification implemented by
 * this service", HL7/cds-hooks at fb10ca7, input/pagecontent/index.md, Discovery / Response).
 * 2.0.1: the service implements 2.0.1 whole, and of the 3.0 ballot only what 2.0 clients also
 * accept; it claims 3.0.0 when that is published and implemented.
 */
export const CDS_HOOKS_VERSION = '2.0.1';
