// Pure rules for link preview cards (node-tested in tests/js/previews.test.mjs).

/** The page link, only when it is http(s); null otherwise. */
export function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

// Our own copy of the page's image (the server fetched and re-encoded it; the CSP lets the
// browser load images from our origin only). Anything else is not shown.
const OWN_IMAGE = /^\/api\/v1\/messages\/\d+\/preview-image\?v=[0-9a-f]{1,64}$/;

/** The card's image src (a same-origin path), or null when there is none to show. */
export function imageSrc(preview) {
  const src = preview && preview.image_url;
  return typeof src === "string" && OWN_IMAGE.test(src) ? src : null;
}
