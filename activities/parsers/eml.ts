/**
 * E-mail messages (.eml, RFC 5322 / MIME) through postal-mime: a header section (From, To, Cc,
 * Date, Subject and the attachment names), then the body, then every attachment whose content
 * is one of the accepted text formats (txt, md, csv, html, rtf), parsed by that format's own
 * parser. Every section carries the subject as its heading; an attachment's sections add the
 * attachment's name to the heading path.
 *
 * The body is the text/plain part when the message has one; a message with only HTML is read by
 * html-text.ts (visible text only, no script or style), not by a generic converter. Binary
 * attachments (PDF, images, Office files) are named in the header section but not opened, and
 * an attachment that cannot be read (bad encoding, wrong type) is skipped without failing the
 * message. Forwarded messages attached inline are part of the body as postal-mime renders them.
 *
 * Limits: MIME nesting beyond MAX_MIME_DEPTH and more than MAX_TEXT_ATTACHMENTS text
 * attachments are `limit_exceeded`; the character budget covers body and attachments
 * together; the upload's text-file cap bounds the message size.
 */
import PostalMime, { type Address, type Attachment, type Email } from 'postal-mime';
import { DocumentError, isTextFormat, type DocFormat } from '../../core/formats.js';
import type { ParsedDocument, ParsedSection } from '../../core/parsed.js';
import type { FormatParser, ParseLimits } from './types.js';
import { sanitizeText } from './encoding.js';
import { SectionCollector } from './collect.js';
import { detectFormat } from './detect.js';
import { extractHtmlText } from './html-text.js';

/** MIME parts nested deeper than this are refused; real mail nests under ten. */
export const MAX_MIME_DEPTH = 32;
/** Attached messages parsed inline (forwards of forwards) at most this deep. */
const MAX_ATTACHED_MESSAGE_DEPTH = 3;
/** Text attachments parsed per message at most. */
export const MAX_TEXT_ATTACHMENTS = 100;
/** Names listed in the header section at most (the rest are counted). */
const MAX_LISTED_ATTACHMENTS = 50;

/** How an attachment of a known text format is turned into sections: the registry's parser for it. */
export type AttachmentParser = (bytes: Uint8Array, format: DocFormat, limits: ParseLimits) => Promise<ParsedDocument>;

function addressText(address: Address): string {
  if (address.group) return `${address.name}: ${address.group.map(addressText).join(', ')}`;
  return address.name ? `${address.name} <${address.address}>` : address.address;
}

function addressLine(label: string, addresses: Address | Address[] | undefined): string[] {
  const list = addresses === undefined ? [] : Array.isArray(addresses) ? addresses : [addresses];
  return list.length === 0 ? [] : [`${label}: ${list.map(addressText).join(', ')}`];
}

function attachmentName(attachment: Attachment, index: number): string {
  const name = sanitizeText(attachment.filename ?? '')
    .replace(/[\n\t/\\]+/g, ' ')
    .trim();
  return name !== '' ? name.slice(0, 200) : `attachment ${index + 1}`;
}

function bytesOf(content: Attachment['content']): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** The header lines of the message: who, when, what, and what came attached. */
function headerLines(email: Email): string[] {
  const lines = [...addressLine('From', email.from), ...addressLine('To', email.to), ...addressLine('Cc', email.cc)];
  if (email.date) lines.push(`Date: ${email.date}`);
  if (email.subject) lines.push(`Subject: ${email.subject}`);
  // Pictures a HTML body shows inline (cid: references) are part of the body, not attachments.
  const names = email.attachments.flatMap((a, i) => (a.related ? [] : [attachmentName(a, i)]));
  if (names.length > 0) {
    const more = names.length > MAX_LISTED_ATTACHMENTS ? ` and ${names.length - MAX_LISTED_ATTACHMENTS} more` : '';
    lines.push(`Attachments: ${names.slice(0, MAX_LISTED_ATTACHMENTS).join(', ')}${more}`);
  }
  return lines;
}

/** Whether the raw message has a text/plain part (or no Content-Type at all, which means text/plain). */
function hasPlainPart(raw: string): boolean {
  return /^content-type:[ \t]*text\/plain/im.test(raw) || !/^content-type:/im.test(raw);
}

async function readMessage(bytes: Uint8Array): Promise<Email> {
  try {
    return await PostalMime.parse(bytes, {
      attachmentEncoding: 'arraybuffer',
      maxNestingDepth: MAX_MIME_DEPTH,
      maxRfc822NestingDepth: MAX_ATTACHED_MESSAGE_DEPTH,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/nesting depth/i.test(message)) throw new DocumentError('limit_exceeded', `The message nests its MIME parts more than ${MAX_MIME_DEPTH} levels deep.`);
    if (/header size/i.test(message)) throw new DocumentError('limit_exceeded', 'The message headers are larger than the parser allows.');
    if (err instanceof RangeError) throw err;
    throw new DocumentError('corrupt', `The message could not be read: ${message.slice(0, 200)}`);
  }
}

/** Builds the .eml parser around the parser used for text attachments (the registry, injected to avoid an import cycle). */
export function createEmlParser(parseAttachment: AttachmentParser): FormatParser {
  return async (bytes, limits) => {
    const email = await readMessage(bytes);
    const subject = email.subject ? sanitizeText(email.subject).replace(/\s+/g, ' ').trim() : '';
    const root: Pick<ParsedSection, 'heading' | 'headingPath'> = subject ? { heading: subject, headingPath: [subject] } : {};
    const out = new SectionCollector(limits.maxChars);
    out.add({ text: sanitizeText(headerLines(email).join('\n')), ...root });

    const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    if (email.html && !(email.text && hasPlainPart(raw))) {
      for (const section of extractHtmlText(email.html).sections) {
        const path = [...(root.headingPath ?? []), ...(section.headingPath ?? [])];
        out.add(path.length > 0 ? { text: section.text, heading: path[path.length - 1], headingPath: path } : { text: section.text });
      }
    } else if (email.text) {
      out.add({ text: sanitizeText(email.text), ...root });
    }

    let parsed = 0;
    for (const [index, attachment] of email.attachments.entries()) {
      const name = attachmentName(attachment, index);
      const content = bytesOf(attachment.content);
      let format: DocFormat;
      try {
        format = detectFormat(content.subarray(0, 8192), attachment.filename ?? name);
      } catch {
        continue; // not an accepted type, or its name and content disagree: named above, not read
      }
      if (!isTextFormat(format) || format === 'eml') continue;
      if (++parsed > MAX_TEXT_ATTACHMENTS) {
        throw new DocumentError('limit_exceeded', `The message has more than ${MAX_TEXT_ATTACHMENTS} text attachments.`);
      }
      let doc: ParsedDocument;
      try {
        doc = await parseAttachment(content, format, limits);
      } catch (err) {
        if (err instanceof DocumentError) continue; // one unreadable attachment loses nothing else
        throw err;
      }
      for (const section of doc.sections) {
        const path = [...(root.headingPath ?? []), name, ...(section.headingPath ?? (section.heading ? [section.heading] : []))];
        out.add({ ...section, heading: path[path.length - 1], headingPath: path });
      }
    }
    return out.finish('eml');
  };
}
