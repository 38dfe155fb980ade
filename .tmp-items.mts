import { PDFParse } from 'pdf-parse';
import { readFileSync } from 'node:fs';
const p = new PDFParse({ data: new Uint8Array(readFileSync(process.argv[2])), isEvalSupported: false, useSystemFonts: false, disableFontFace: true, verbosity: 0 });
const doc: any = await (p as any).load();
const page = await doc.getPage(Number(process.argv[3] ?? 1));
const tc = await page.getTextContent();
for (const it of tc.items) console.log(JSON.stringify({ s: it.str, dir: it.dir, x: +it.transform[4].toFixed(1), y: +it.transform[5].toFixed(1), w: +it.width.toFixed(1), h: +it.height.toFixed(1), eol: it.hasEOL, f: it.fontName }));
console.log('---');
console.log((await p.getText()).text);
