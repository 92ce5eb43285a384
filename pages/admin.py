from portal.ui.admin import render

render()
