from portal.ui.shell import run_public

run_public("portal.ui.training:render_signin")
