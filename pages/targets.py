from portal.ui.targets import render

render()
