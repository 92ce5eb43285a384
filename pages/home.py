from portal.ui.home import render

render()
