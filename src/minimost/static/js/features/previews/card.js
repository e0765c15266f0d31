// The link preview card under a message body: site, title (a link), description and the
// page's image, all set as text. The server fetched them (it alone may reach other hosts:
// the CSP keeps the browser on our origin); the image is the server's own thumbnail of the
// page's og:image, served from /api/v1/messages/{id}/preview-image.

import { el } from "../../core/dom.js";
import { imageSrc, safeUrl } from "./data.js";

/** A DOM node for `message.preview`, or null when there is none to show. */
export function renderPreview(message) {
  const preview = message && !message.deleted_at ? message.preview : null;
  if (!preview || (!preview.title && !preview.description)) return null;
  const href = safeUrl(preview.url);
  if (!href) return null;
  const site = preview.site_name || new URL(href).hostname;
  const src = imageSrc(preview);
  return el("aside", { class: "link-preview", "aria-label": `Link preview: ${preview.title || site}` },
    el("span", { class: "link-preview-site", text: site }),
    preview.title && el("a", { class: "link-preview-title", href, target: "_blank", rel: "noopener noreferrer", text: preview.title }),
    preview.description && el("p", { class: "link-preview-desc", text: preview.description }),
    src && el("a", { class: "link-preview-image", href, target: "_blank", rel: "noopener noreferrer", tabindex: "-1", "aria-hidden": "true" },
      el("img", { src, alt: preview.title || site, loading: "lazy", decoding: "async" })));
}

/**
 * Show preview cards under message bodies (they arrive later, by message.updated).
 * `decorations`: the message rows' extension points (messages feature, from main.js).
 */
export function mountPreviews({ decorations }) {
  decorations.decorate("preview", renderPreview);
}
