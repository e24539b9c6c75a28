/**
 * A self-contained interactive flame graph: speedscope's own built viewer
 * (the npm package's release files) inlined in one HTML page with the
 * profile, so it opens offline from a file and fetches nothing.
 *
 * speedscope's command line hands it a profile by a hash parameter
 * (#localProfilePath=...), on which the viewer defines
 * speedscope.loadFileFromBase64() and appends a <script> that calls it. The
 * page sets that parameter and answers the append from the profile it
 * carries (base64, so no text of the traced program is ever HTML).
 */
import * as fs from 'fs';
import * as path from 'path';
import { speedscopeChunks, SpeedscopeOptions } from './speedscope';
import { StackProfile } from './stacks';

interface Viewer {
  css: string;
  js: string;
}

let viewer: Viewer | undefined;

const MIME: Record<string, string> = { '.woff2': 'font/woff2', '.png': 'image/png', '.ico': 'image/x-icon' };

/** speedscope's release files, found through its index.html (their names carry content hashes). */
function loadViewer(): Viewer {
  if (viewer) return viewer;
  const dir = path.join(path.dirname(require.resolve('speedscope/package.json')), 'dist', 'release');
  const index = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const cssFile = /<link rel="stylesheet" href="([^"]+)"/.exec(index)?.[1];
  const jsFile = /<script src="([^"]+)"/.exec(index)?.[1];
  if (!cssFile || !jsFile) throw new Error(`speedscope's index.html in ${dir} has no stylesheet or script`);
  // The stylesheet's url()s (its font) become data: URLs, so the page asks for no file.
  const css = fs
    .readFileSync(path.join(dir, cssFile), 'utf8')
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '')
    .replace(/url\("?([^")]+)"?\)/g, (whole, ref: string) => {
      const file = path.join(dir, ref);
      const mime = MIME[path.extname(ref)];
      return mime && fs.existsSync(file)
        ? `url("data:${mime};base64,${fs.readFileSync(file).toString('base64')}")`
        : whole;
    });
  const js = fs.readFileSync(path.join(dir, jsFile), 'utf8').replace(/\/\/# sourceMappingURL=.*$/gm, '');
  // Inlined, a "</script" in the bundle would end its element.
  if (/<\/script/i.test(js) || /<\/style/i.test(css)) throw new Error('speedscope bundle cannot be inlined');
  return (viewer = { css, js });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's script that hands the viewer the file it carries, named `fileName` (the viewer picks its importer by content and name). */
const loader = (fileName: string) => `(function () {
  var name = ${JSON.stringify(fileName).replace(/</g, '\\u003c')};
  var head = document.head, append = head.appendChild;
  history.replaceState(null, '', '#localProfilePath=' + encodeURIComponent(name));
  head.appendChild = function (el) {
    if (el && el.tagName === 'SCRIPT' && window.speedscope && window.speedscope.loadFileFromBase64) {
      head.appendChild = append;
      var data = document.getElementById('pytrace-profile').textContent.replace(/\\s+/g, '');
      window.speedscope.loadFileFromBase64(name, data);
      return el;
    }
    return append.call(head, el);
  };
})();`;

/** Base64 of `chunks`, in pieces, without holding more than a piece. */
function* base64Of(chunks: Iterable<string | Uint8Array>): Generator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for (const c of chunks) {
    const piece = typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    const bytes: Buffer = carry.length ? Buffer.concat([carry, piece]) : piece;
    const whole = bytes.length - (bytes.length % 3);
    carry = bytes.subarray(whole);
    if (whole) yield bytes.subarray(0, whole).toString('base64') + '\n';
  }
  if (carry.length) yield carry.toString('base64') + '\n';
}

/** The viewer's page around any file speedscope imports (`fileChunks`, its text in pieces). */
export function* viewerPageChunks(
  fileName: string,
  fileChunks: Iterable<string | Uint8Array>,
  title: string,
): Generator<string> {
  const { css, js } = loadViewer();
  yield `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="UTF-8">\n<meta name="viewport" content="width=device-width, initial-scale=1.0">\n<title>${escapeHtml(title)}</title>\n<link rel="icon" href="data:,">\n<style>${css}</style>\n</head>\n<body>\n`;
  yield '<script type="application/octet-stream" id="pytrace-profile">\n';
  yield* base64Of(fileChunks);
  yield `</script>\n<script>${loader(fileName)}</script>\n<script>`;
  yield js;
  yield '</script>\n</body>\n</html>\n';
}

/** The profile as speedscope JSON in the viewer's page. */
export function htmlChunks(profile: StackProfile, options: SpeedscopeOptions = {}): Generator<string> {
  return viewerPageChunks(
    'profile.speedscope.json',
    speedscopeChunks(profile, options),
    options.name ?? 'pytrace profile',
  );
}
