// Marks mentions of me inside a rendered message body. The server renders `@name` as
// <span class="mention" data-username="name"> and @everyone / @here with `mention-all`;
// the ones that concern me get `mention-me`, and the caller highlights the row.

/** Mark mentions of `username` (and @everyone / @here) in `body`; true when there is one. */
export function markMentions(body, username) {
  let mine = false;
  const name = username ? String(username).toLowerCase() : null;
  for (const span of body.querySelectorAll("span.mention")) {
    const me = span.classList.contains("mention-all") || (name !== null && String(span.dataset.username).toLowerCase() === name);
    span.classList.toggle("mention-me", Boolean(me));
    if (me) mine = true;
  }
  return mine;
}
