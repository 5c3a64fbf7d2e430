'use strict';
// Reads a PDF's text, pages and outline in a worker thread (pdf-parse, on Mozilla's pdf.js):
// a large or hostile PDF takes the worker's time, not the service's event loop, and the
// service can end it when it runs too long. Plain CommonJS, so it runs as it is from the
// sources and from a build. Receives the bytes as `workerData`; posts `{ ok, ... }` once.
const { parentPort, workerData } = require('node:worker_threads');
const { PDFParse } = require('pdf-parse');

function outlineOf(items) {
  return (items || []).map((item) => ({ title: String(item.title || ''), items: outlineOf(item.items) }));
}

(async () => {
  const parser = new PDFParse({ data: new Uint8Array(workerData) });
  try {
    const info = await parser.getInfo();
    const text = await parser.getText();
    const title = info && info.info && typeof info.info.Title === 'string' ? info.info.Title : '';
    parentPort.postMessage({
      ok: true, title, outline: outlineOf(info && info.outline), pages: text.pages.map((page) => ({ num: page.num, text: page.text })),
    });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: error && error.message ? String(error.message) : String(error) });
  } finally {
    await parser.destroy().catch(() => undefined);
  }
})();
