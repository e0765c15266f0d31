"""Hostile message texts: each one, if any part of it ever executed, would set
``window.__xss`` or call ``alert``. Used by tests/domain/test_xss.py (the rendered HTML holds
no script, handler, style or dangerous URL) and tests/browser/test_xss.py (nothing runs in
real Chromium)."""

from __future__ import annotations

X = "window.__xss=1"

PAYLOADS: list[str] = [
    # Raw HTML: markdown-it escapes it (html disabled), nh3 would strip it anyway.
    f"<script>{X}</script>",
    f"<SCRIPT SRC=//evil.example/x.js></SCRIPT><script>{X}</script>",
    f"<scr<script>ipt>{X}</scr</script>ipt>",
    f'<img src=x onerror="{X}">',
    f"<img src=x onerror={X}//",
    f'<svg onload="{X}"><circle r="1"/></svg>',
    f"<svg><script>{X}</script></svg>",
    f'<iframe src="javascript:{X}"></iframe>',
    f'<iframe srcdoc="<script>parent.{X}</script>"></iframe>',
    f'<body onload="{X}">',
    f'<a href="javascript:{X}">click</a>',
    f'<div style="background:url(javascript:{X})">css</div>',
    f"<style>*{{background:url('javascript:{X}')}}</style>",
    f'<p style="width: expression({X})">ie</p>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{X}">',
    f'<details open ontoggle="{X}">',
    f'<object data="javascript:{X}"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==">',
    f'<form action="javascript:{X}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{X}">',
    f"<!--<img src=x onerror={X}>-->",
    f'<img src="x" onerror="{X}"',  # unclosed
    f"<<script>{X};//<</script>",
    f"<a href='javas\tcript:{X}'>tab</a>",
    # Markdown links and autolinks.
    f"[x](javascript:{X})",
    f"[x](JaVaScRiPt:{X})",
    f"[x](jav&#x09;ascript:{X})",
    f"[x](jav&#9;ascript:{X})",
    f"[x](&#106;avascript:{X})",
    f"[x](javascript&colon;{X})",
    f"[x](%6Aavascript:{X})",
    f"[x](vbscript:{X})",
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    f"[x]( javascript:{X} )",
    f"[x](<javascript:{X}>)",
    f'[x](https://ok.example "title\\" onmouseover=\\"{X}")',
    f'[x](https://ok.example" onmouseover="{X})',
    f"<javascript:{X}>",
    f"<vbscript:{X}>",
    "<data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==>",
    f"[x][r]\n\n[r]: javascript:{X}",
    f"![img](javascript:{X})",
    f'![img](x" onerror="{X})',
    f"javascript:{X}",
    f"www.example.com/<script>{X}</script>",
    f"https://example.com/\"onmouseover='{X}'",
    f"https://example.com/<img src=x onerror={X}>",
    # Code: shown as text, never run.
    f"`<script>{X}</script>`",
    f"```html\n<script>{X}</script>\n<img src=x onerror={X}>\n```",
    f'```"><img src=x onerror={X}>\ncode\n```',
    f"```js onload={X}\nalert(1)\n```",
    f"````\n```\n<script>{X}</script>\n```\n````",
    f"```\nunclosed fence <script>{X}</script>",
    f"    <script>{X}</script>",
    # Mentions and emoji-like text around markup.
    f"@<script>{X}</script>",
    f'@"onmouseover="{X}',
    f"@everyone<img src=x onerror={X}>",
    f":<script>{X}</script>: :smile:<img src=x onerror={X}>",
    f'**<img src=x onerror="{X}">** __<svg onload={X}>__ ~~<script>{X}</script>~~',
    f"> <script>{X}</script>\n> [q](javascript:{X})",
    f"- [l](javascript:{X})\n- <img src=x onerror={X}>",
    # The classics, calling alert (a dialog the browser test listens for).
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<svg/onload=alert(1)>",
]
