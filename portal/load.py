"""`python -m portal.load ...`: the load test, under the name the operations guide uses.

The simulator speaks Streamlit's websocket protocol, so it lives in the UI layer
(portal/ui/load.py; the rest of portal/ stays free of Streamlit). This module only runs it;
it does not import it, so importing portal.load pulls no Streamlit in.
"""

import runpy

if __name__ == "__main__":
    runpy.run_module("portal.ui.load", run_name="__main__", alter_sys=True)
