"""Launcher: `streamlit run serve.py` (make run does it).

Serves app.py exactly as `streamlit run app.py` would, plus two routes of the portal's own
(portal/ui/launcher.py): /_portal/login sets the login cookie from the server, HttpOnly,
and /_portal/logout deletes it.
"""

from pathlib import Path

import streamlit as st

from portal.ui import launcher

launcher.activate()
launcher.warm_up()  # before any session: pages imported in parallel threads can fail
app = st.App(str(Path(__file__).resolve().with_name("app.py")), routes=launcher.routes())
