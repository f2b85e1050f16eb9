"""Small things the app does in the browser for a phone: the menu closes after a page is
chosen, and the page scrolls to new results. Each is a script in a zero-height component that
acts on the app's page (same origin); nothing here measures anything."""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's sidebar covers the page below this width (its "md" breakpoint)
PHONE_MAX_PX = 768

# Installed as a script of the app's own page (not of the component's frame, which a page
# change removes, and with it the timers of a listener that lives there).
_MENU_LISTENER = """
document.addEventListener('click', (e) => {
  const link = e.target.closest && e.target.closest('[data-testid="stSidebar"] a');
  if (!link || !window.matchMedia('(max-width: %dpx)').matches) return;
  setTimeout(() => {
    const b = document.querySelector('[data-testid="stSidebarCollapseButton"] button, '
                                     + 'button[data-testid="stSidebarCollapseButton"]');
    if (b) b.click();
  }, 50);
}, true);
""" % PHONE_MAX_PX
_CLOSE_MENU = ("<script>(() => { const w = window.parent, d = w.document;"
               "if (w.__fcMenuCloses) return; w.__fcMenuCloses = true;"
               "const s = d.createElement('script'); s.textContent = " + json.dumps(_MENU_LISTENER)
               + "; d.head.appendChild(s); })();</script>")


def close_menu_on_choice() -> None:
    """On a phone, the menu closes once a page is chosen in it (it covers most of the screen).
    Call once per run, from the app's main script."""
    import streamlit.components.v1 as stc

    with st.sidebar:
        stc.html(_CLOSE_MENU, height=0)


def scroll_to(container_key: str, once_for: str) -> None:
    """Scroll the page so that the container made with `st.container(key=container_key)`
    starts at the top of the screen, below Streamlit's header: once per `once_for` (e.g. a
    result id) in this browser tab, once the container is drawn (given up after about 20 s). Call it
    on every run that shows the container: the same script stays in the page across reruns
    (a rerun right after the first would remove a one-off script before it ran). Call it
    before drawing the container, so the scroll does not wait for the whole run."""
    import streamlit.components.v1 as stc

    sel, once = json.dumps(f".st-key-{container_key}"), json.dumps(f"{container_key}:{once_for}")
    # scrolled again while the results below are still being drawn (until then the page may
    # be too short to bring the container to the top)
    stc.html("<script>(() => { const w = window.parent, d = w.document;"
             "w.__fcScrolled = w.__fcScrolled || {}; if (w.__fcScrolled[" + once + "]) return;"
             "w.__fcScrolled[" + once + "] = true; let n = 0;"
             "const t = setInterval(() => { const el = d.querySelector(" + sel + "); n += 1;"
             "if (n > 150) { clearInterval(t); return; } if (!el) return;"
             "el.style.scrollMarginTop = '4rem';"
             "if (el.getBoundingClientRect().top <= 80) { clearInterval(t); return; }"
             "el.scrollIntoView({block: 'start'}); }, 150); })();</script>", height=0)
