// whatsapp-web.js drives the system Chromium (CHROMIUM_PATH, Debian's `chromium`);
// puppeteer must never download a browser of its own at install time.
module.exports = { skipDownload: true };
