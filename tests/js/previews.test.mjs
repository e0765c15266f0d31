// Link preview cards: only http(s) page links, and only our own image URLs.
import assert from "node:assert/strict";
import { test } from "node:test";

import { imageSrc, safeUrl } from "../../src/minimost/static/js/features/previews/data.js";

test("the page link must be http(s)", () => {
  assert.equal(safeUrl("https://a.example/x"), "https://a.example/x");
  assert.equal(safeUrl("javascript:alert(1)"), null);
  assert.equal(safeUrl("not a url"), null);
});

test("only our own versioned preview image is shown", () => {
  const own = "/api/v1/messages/42/preview-image?v=0123456789abcdef";
  assert.equal(imageSrc({ image_url: own }), own);
  for (const bad of [null, undefined, "", "https://evil.example/x.png", "//evil.example/x.png",
    "/api/v1/messages/42/preview-image", "/api/v1/messages/42/preview-image?v=x\"onerror",
    "data:image/png;base64,AAAA", "javascript:alert(1)", 7]) {
    assert.equal(imageSrc({ image_url: bad }), null, String(bad));
  }
  assert.equal(imageSrc(null), null);
});
