from portal.ui.plans import render

render()
