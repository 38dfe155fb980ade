import { PDFDocument, setCharacterSpacing, setWordSpacing } from 'pdf-lib';
import fontkit from '@pdf-lib/fontkit';
import { readFileSync, writeFileSync } from 'node:fs';
const doc = await PDFDocument.create();
doc.registerFontkit(fontkit);
const font = await doc.embedFont(readFileSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'), { subset: true });
const page = doc.addPage([612, 792]);
const words = 'این یک متن آزمایشی فارسی است که می‌شود خواند'.split(' ');
for (const [i, tc] of [0.6, 1.2, 2.0].entries()) {
  page.pushOperators(setCharacterSpacing(tc));
  let x = 540;
  for (const w of words) {
    const width = font.widthOfTextAtSize(w, 12) + tc * [...w].length;
    x -= width;
    page.drawText(w, { x, y: 700 - i * 40, size: 12, font });
    x -= 2.5; // narrow word gap, no space glyph
  }
}
page.pushOperators(setCharacterSpacing(0));
writeFileSync('/tmp/pdfx/fa2.pdf', await doc.save());
