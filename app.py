"""Entry point, served through its launcher: `streamlit run serve.py` (make run does it in
demo mode; serve.py adds the routes that set the HttpOnly login cookie).

Page config, startup checks, the login gate, navigation built from the page registry and
the user's role, the sidebar pickers, then the chosen page. st.navigation is called on
every run, signed in or not, so no file under pages/ is ever served on its own.
"""

import logging

import streamlit as st

from portal.ui import auth, shell

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
st.set_page_config(page_title="卫生工作管理平台 · Health Work Portal", page_icon="🏥", layout="wide")

with shell.database_guard():
    shell.startup_check()
    actor = auth.current_actor()
    if actor is None:
        shell.run_anonymous()
    else:
        shell.run_signed_in(actor)
