from portal.ui.training import render

render()
