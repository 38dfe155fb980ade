import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { reasonCodeOf, syncReasonCodeOf } from '../../test/fixtures/errors.js';
import { makeHtml } from '../../test/fixtures/format-documents.js';
import { DEFAULT_PARSE_LIMITS } from './index.js';
import { parseHtml } from './html.js';
import { MAX_DEPTH, extractHtmlText } from './html-text.js';

const textOf = (html: string) =>
  extractHtmlText(html)
    .sections.map((s) => s.text)
    .join('\n');

describe('extractHtmlText', () => {
  it('keeps visible text only: no script, style, template, noscript, svg or hidden elements', () => {
    const text = textOf(
      '<p>Visible one</p><script>var SCRIPTTEXT = 1;</script><style>.x{content:"STYLETEXT"}</style><template>TEMPLATETEXT</template>' +
        '<noscript>NOSCRIPTTEXT</noscript><svg><text>SVGTEXT</text><title>SVGTITLE</title></svg><div hidden>HIDDENATTR</div>' +
        '<p style="color:red; display : none">DISPLAYNONE</p><span style="visibility:hidden">INVISIBLE</span><span aria-hidden="true">ARIAHIDDEN</span>' +
        '<p>Visible <b>two</b></p><input type="hidden" value="INPUTVALUE">',
    );
    expect(text).toBe('Visible one\nVisible two');
  });

  it('gives every section its heading path and starts it with its heading line', () => {
    const { sections } = extractHtmlText('<p>Intro</p><h1>Guide</h1><p>a</p><h2>Install</h2><p>b</p><h3>Linux</h3><p>c</p><h2>Use</h2><p>d</p><h1>Appendix</h1><p>e</p>');
    expect(sections).toEqual([
      { text: 'Intro' },
      { text: 'Guide\na', heading: 'Guide', headingPath: ['Guide'] },
      { text: 'Install\nb', heading: 'Install', headingPath: ['Guide', 'Install'] },
      { text: 'Linux\nc', heading: 'Linux', headingPath: ['Guide', 'Install', 'Linux'] },
      { text: 'Use\nd', heading: 'Use', headingPath: ['Guide', 'Use'] },
      { text: 'Appendix\ne', heading: 'Appendix', headingPath: ['Appendix'] },
    ]);
  });

  it('keeps the main content and drops navigation and page chrome', () => {
    const page =
      '<header><p>Site banner</p></header><nav><a>Home</a><a>Blog</a></nav><main><h1>Article</h1><p>The body text.</p></main><aside>Related links</aside><footer>Copyright</footer>';
    expect(textOf(page)).toBe('Article\nThe body text.');
    expect(textOf('<nav>Menu</nav><article><header>Byline</header><p>Story</p></article><footer>Site footer</footer>')).toBe('Byline\nStory');
    expect(textOf('<header>Banner</header><nav>Menu</nav><div><p>Plain body</p></div><footer>Foot</footer>')).toBe('Plain body');
    // A page that is nothing but chrome still yields its text rather than nothing.
    expect(textOf('<footer>Only a footer here</footer>')).toBe('Only a footer here');
  });

  it('writes table rows as tab-separated lines and keeps preformatted lines', () => {
    expect(textOf('<table><tr><th>Name</th><th>Role</th></tr><tr><td>Ada</td><td><p>Engineer</p><p>Lead</p></td></tr></table>')).toBe('Name\tRole\nAda\tEngineer Lead');
    expect(textOf('<pre>line one\n  indented two\n</pre>')).toBe('line one\n  indented two');
  });

  it('decodes entities, collapses whitespace and reads the title', () => {
    const page = extractHtmlText('<html><head><title> The  &amp; title </title></head><body><p>caf&eacute; &lt;tag&gt;\n   spaced&nbsp;out &#x1F600;</p></body></html>');
    expect(page.title).toBe('The & title');
    expect(page.sections[0].text).toBe('café <tag> spaced out 😀');
  });

  it('reads XHTML self-closing tags without swallowing the rest', () => {
    expect(textOf('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title/></head><body><p>one<br/>two</p><div/><p>three</p></body></html>')).toBe(
      'one\ntwo\nthree',
    );
  });

  it('refuses element nesting deeper than the limit, in linear time', () => {
    expect(syncReasonCodeOf(() => extractHtmlText('<div>'.repeat(MAX_DEPTH + 1)))).toBe('limit_exceeded');
    expect(syncReasonCodeOf(() => extractHtmlText(`${'<b>'.repeat(200_000)}x`))).toBe('limit_exceeded');
    expect(textOf(`${'<div>'.repeat(MAX_DEPTH - 1)}deep enough${'</div>'.repeat(MAX_DEPTH - 1)}`)).toBe('deep enough');
  });
});

describe('parseHtml', () => {
  it('puts the title first when the page does not repeat it', async () => {
    const doc = await parseHtml(makeHtml('<h1>Harbour</h1><p>Boats.</p>', 'Harbour news'), DEFAULT_PARSE_LIMITS);
    expect(doc.sections.map((s) => s.text)).toEqual(['Harbour news', 'Harbour\nBoats.']);
    const same = await parseHtml(makeHtml('<h1>Harbour news</h1><p>Boats.</p>', 'Harbour news'), DEFAULT_PARSE_LIMITS);
    expect(same.sections.map((s) => s.text)).toEqual(['Harbour news\nBoats.']);
  });

  it('decodes by the declared charset, else by the text rules', async () => {
    const latin = Buffer.concat([
      Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head><body><p>', 'latin1'),
      iconv.encode('Crème brûlée', 'latin1'),
      Buffer.from('</p></body></html>'),
    ]);
    expect((await parseHtml(latin, DEFAULT_PARSE_LIMITS)).sections[0].text).toBe('Crème brûlée');
    const cyrillic = Buffer.concat([Buffer.from('<meta charset="windows-1251"><p>'), iconv.encode('Привет, мир', 'win1251'), Buffer.from('</p>')]);
    const doc = await parseHtml(cyrillic, DEFAULT_PARSE_LIMITS);
    expect(doc.sections[0].text).toBe('Привет, мир');
    expect(doc.encoding).toBe('windows-1251');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>wide page</p>', 'utf16le')]);
    expect((await parseHtml(utf16, DEFAULT_PARSE_LIMITS)).sections[0].text).toBe('wide page');
  });

  it('fails a page that is all script with no_extractable_text', async () => {
    const page = makeHtml(`<script>${'document.write("SCRIPTONLY");'.repeat(1000)}</script><style>body{}</style>`, '');
    expect(await reasonCodeOf(parseHtml(page, DEFAULT_PARSE_LIMITS))).toBe('no_extractable_text');
  });

  it('holds the character budget', async () => {
    const page = makeHtml(`<p>${'word '.repeat(1000)}</p>`);
    expect(await reasonCodeOf(parseHtml(page, { ...DEFAULT_PARSE_LIMITS, maxChars: 100 }))).toBe('limit_exceeded');
  });
});

describe('extractHtmlText on pathological whitespace', () => {
  it('stays linear on long runs of spaces in <pre> and of empty table cells', () => {
    // A backtracking trim would take minutes here (quadratic in the run); a linear one, milliseconds.
    const text = textOf(`<pre>${' '.repeat(200_000)}x</pre>`);
    expect(text.trim()).toBe('x');
    expect(textOf(`<table><tr>${'<td></td>'.repeat(20_000)}<td>y</td></tr></table>`)).toBe('y');
  });
});
