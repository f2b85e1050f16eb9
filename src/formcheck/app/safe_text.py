"""User text is text: client labels, notes, file names and session notes are shown literally.

Streamlit renders Markdown (and its own directives: :red[...], :material/...:, $LaTeX$) in
st.markdown, st.write, st.caption, alerts, and widget labels. `md` escapes a user's string so
every character shows as typed: no links, no remote images (a tracking pixel in a note would
make every viewer's browser fetch it), no HTML, no formatting. Use it for every user string
put inside such text; dataframes and widget values are plain text already.
"""

from __future__ import annotations

import re

# Characters that start Markdown or Streamlit syntax anywhere in a line: emphasis, code, links
# and images, HTML, tables, strike-through, $math$, :emoji: and :color[...] directives.
_INLINE = re.compile(r"([\\`*_\[\]<>!|~$:{}&])")
# Streamlit's GitHub-flavoured Markdown turns bare addresses in the *rendered text* into links,
# escapes or not; an invisible WORD JOINER (U+2060) after "http:" / "www" breaks the pattern
# and shows exactly the same characters.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=[a-z0-9]\\:)(?=//)|(?<=\bwww)(?=\.)")
# Characters that matter only at the start of a line: headings, quotes, lists, rules.
_LINE_START = re.compile(r"^([#>+=-]|\d+(?=[.)]))")


def md(text: object) -> str:
    """`text` escaped for Streamlit Markdown, shown exactly as typed (line breaks kept)."""
    lines = []
    for line in str(text).split("\n"):
        line = _INLINE.sub(r"\\\1", line.lstrip(" \t"))   # an indent would make a code block
        line = _AUTOLINK.sub(WORD_JOINER, line)
        m = _LINE_START.match(line)
        if m:
            line = (line[:m.end()] + "\\" + line[m.end():] if m.group(1)[0].isdigit()
                    else "\\" + line)
        lines.append(line)
    return "  \n".join(lines)
